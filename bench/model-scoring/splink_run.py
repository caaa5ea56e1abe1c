"""Splink 5.0 on the same records as Daybreak, for bench:model-scoring (its settings written down).

Input: a Parquet file the bench writes from Daybreak's normalization of the records (so both
tools compare the same cleaned values): unique_id, first_name, surname, dob (YYYYMMDD text),
street, postcode, city, state, email, phone (absent fields are all NULL and left out here as in
Daybreak) and one key column k_<rule> per blocking rule of the Daybreak model, so Splink blocks
on exactly the same candidate pairs. Output: clusters (unique_id, cluster_id) as Parquet and a
JSON line with the settings, timings and counts on stdout.

Settings (Splink's documented defaults where there is one):
  comparisons: NameComparison(first_name), NameComparison(surname), both term-frequency
    adjusted; DateOfBirthComparison(dob, input_is_string, format %Y%m%d) with its default
    levels (exact, Damerau-Levenshtein <= 1, within 1 month, 1 year, 10 years);
    JaroWinklerAtThresholds(street, [0.9, 0.8]); DamerauLevenshteinAtThresholds(postcode, [1, 2])
    term-frequency adjusted; JaroWinklerAtThresholds(city, [0.9]) term-frequency adjusted;
    ExactMatch(state); EmailComparison(email); DamerauLevenshteinAtThresholds(phone, [1, 2]).
  training: estimate_probability_two_random_records_match on first_name + surname + dob exact
    (recall 0.7); estimate_u_using_random_sampling(max_pairs=1e6, seed=1); EM sessions blocked on
    first_name + surname and on dob (record_sample_proportion 1.0), each estimating the others.
  prediction: the Daybreak model's blocking rules; clusters at match probability >= 0.5.
"""

import argparse
import json
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{args.input}')").fetchall()
    cols = [r[0] for r in con.execute("DESCRIBE records").fetchall()]
    present = {c for c in cols if con.execute(f"SELECT count({c}) FROM records").fetchall()[0][0] > 0}
    keys = [c for c in cols if c.startswith("k_")]

    comparisons = []
    if "first_name" in present:
        comparisons.append(cl.NameComparison("first_name").configure(term_frequency_adjustments=True))
    if "surname" in present:
        comparisons.append(cl.NameComparison("surname").configure(term_frequency_adjustments=True))
    if "dob" in present:
        comparisons.append(
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d")
        )
    if "street" in present:
        comparisons.append(cl.JaroWinklerAtThresholds("street", [0.9, 0.8]))
    if "postcode" in present:
        comparisons.append(
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True)
        )
    if "city" in present:
        comparisons.append(cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True))
    if "state" in present:
        comparisons.append(cl.ExactMatch("state"))
    if "email" in present:
        comparisons.append(cl.EmailComparison("email"))
    if "phone" in present:
        comparisons.append(cl.DamerauLevenshteinAtThresholds("phone", [1, 2]))

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(k) for k in keys],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI(con)
    started = time.time()
    linker = Linker(db_api.register("records"), settings)
    deterministic = [c for c in ("first_name", "surname", "dob") if c in present]
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*deterministic)], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    sessions = []
    if "first_name" in present and "surname" in present:
        sessions.append(block_on("first_name", "surname"))
    if "dob" in present:
        sessions.append(block_on("dob"))
    if "postcode" in present and len(sessions) < 2:
        sessions.append(block_on("postcode"))
    for s in sessions:
        linker.training.estimate_parameters_using_expectation_maximisation(s, record_sample_proportion=1.0)
    trained = time.time()
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=args.threshold
    )
    scored = time.time()
    con.execute(
        f"COPY (SELECT unique_id AS record_id, cluster_id FROM {clusters.physical_name}) TO '{args.out}' (FORMAT parquet)"
    ).fetchall()
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
    print(
        json.dumps(
            {
                "comparisons": [c.get_comparison("duckdb").output_column_name for c in comparisons],
                "blockingRules": keys,
                "threshold": args.threshold,
                "trainSeconds": round(trained - started, 2),
                "predictSeconds": round(scored - trained, 2),
                "pairsAbove0.01": pairs,
            }
        )
    )


if __name__ == "__main__":
    main()
