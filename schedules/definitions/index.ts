// Every schedule the platform runs: one file per schedule, listed here.
import type { ScheduleDefinitionInput } from '../types.js';
import daily from './daily.js';

export const SCHEDULES: ScheduleDefinitionInput[] = [daily];
