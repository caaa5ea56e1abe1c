// Renders an alert for each channel: subject, plain text, HTML and Slack Block Kit (with a text
// fallback), all from the same fields so every channel says the same thing.
import { formatDuration } from '../lib/durations.js';
import { runbookWhere, type Alert } from './types.js';

const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;
const TEXT_LIMIT = 3000;

const HEADLINE: Record<Alert['kind'], string> = {
  failure: 'FAILED',
  resolved: 'RESOLVED',
  'sla-missed': 'SLA MISSED',
  'worker-lost': 'WORKER LOST',
  'no-workers': 'NO WORKERS',
  'workers-back': 'RESOLVED',
};

function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

export function alertSubject(alert: Alert): string {
  const head = `[Daybreak] ${HEADLINE[alert.kind]}`;
  switch (alert.kind) {
    case 'failure':
      return `${head} ${alert.pipeline} ${alert.runDate ?? ''}: ${alert.errorClass ?? 'Error'}`.replace(
        /\s+:/,
        ':',
      );
    case 'worker-lost':
      return `${head} ${alert.workerIdentity ?? '?'} (${alert.pipeline} ${alert.runDate ?? ''})`.replace(
        ' )',
        ')',
      );
    case 'no-workers':
      return `${head} on task queue ${alert.pipeline}`;
    case 'workers-back':
      return `${head} workers back on task queue ${alert.pipeline}`;
    default:
      return `${head} ${alert.pipeline} ${alert.runDate ?? ''}`.trim();
  }
}

/** Labelled fields in display order; absent ones are left out. */
export function alertFields(alert: Alert): [string, string][] {
  const fields: [string, string | undefined][] = [
    ['Pipeline', alert.kind === 'no-workers' || alert.kind === 'workers-back' ? undefined : alert.pipeline],
    ['Task queue', alert.kind === 'no-workers' || alert.kind === 'workers-back' ? alert.pipeline : undefined],
    ['Logical date', alert.runDate],
    ['Workflow id', alert.workflowId],
    ['Run id', alert.runId],
    ['Error class', alert.errorClass],
    ['Error message', alert.errorMessage],
    ['Attempts', alert.attempts?.toString()],
    ['Duration', alert.durationMs === undefined ? undefined : formatDuration(alert.durationMs)],
    ['Worker', alert.workerIdentity],
    ...Object.entries(alert.facts ?? {}),
    ['Web UI', alert.webUiUrl],
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
}

export function alertText(alert: Alert): string {
  const lines = [alertSubject(alert), '', ...alertFields(alert).map(([k, v]) => `${k}: ${v}`)];
  if (alert.runbook) {
    lines.push('', `Runbook: ${alert.runbook.title} (${runbookWhere(alert.runbook)})`);
    alert.runbook.steps.forEach((step, i) => lines.push(`${i + 1}. ${step}`));
  }
  return lines.join('\n');
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function alertHtml(alert: Alert): string {
  const rows = alertFields(alert)
    .map(([k, v]) => {
      const value = k === 'Web UI' ? `<a href="${escapeHtml(v)}">${escapeHtml(v)}</a>` : escapeHtml(v);
      return `<tr><th align="left" style="padding-right:12px">${escapeHtml(k)}</th><td>${value}</td></tr>`;
    })
    .join('\n');
  const runbook = alert.runbook
    ? `<h3>Runbook: ${escapeHtml(alert.runbook.title)}</h3>\n<p>${escapeHtml(runbookWhere(alert.runbook))}</p>\n<ol>\n${alert.runbook.steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('\n')}\n</ol>`
    : '';
  return `<!doctype html><html><body>\n<h2>${escapeHtml(alertSubject(alert))}</h2>\n<table>\n${rows}\n</table>\n${runbook}\n</body></html>`;
}

// Slack mrkdwn needs &, < and > escaped in text that is not a link.
const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function alertSlackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  // The message gets its own section so a long one cannot push the other fields out.
  const fields = alertFields(alert).filter(([k]) => k !== 'Web UI' && k !== 'Error message');
  const blocks: unknown[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(alertSubject(alert), HEADER_LIMIT), emoji: false },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(fields.map(([k, v]) => `*${k}:* ${escapeSlack(v)}`).join('\n'), SECTION_LIMIT),
      },
    },
  ];
  if (alert.errorMessage) {
    const fence = '```';
    const room = SECTION_LIMIT - '*Error message:*\n'.length - 2 * fence.length;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Error message:*\n${fence}${clip(escapeSlack(alert.errorMessage), room)}${fence}`,
      },
    });
  }
  if (alert.webUiUrl) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`<${alert.webUiUrl}|Open the run in the Temporal Web UI>`, SECTION_LIMIT),
      },
    });
  }
  if (alert.runbook) {
    const steps = alert.runbook.steps.map((s, i) => `${i + 1}. ${escapeSlack(s)}`).join('\n');
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*Runbook: ${escapeSlack(alert.runbook.title)}* (${runbookWhere(alert.runbook)})\n${steps}`,
          SECTION_LIMIT,
        ),
      },
    });
  }
  return { text: clip(alertText(alert), TEXT_LIMIT), blocks };
}
