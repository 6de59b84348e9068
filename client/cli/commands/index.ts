import type { CliCommand } from '../command';
import { cancelCommand } from './cancel';
import { getCommand } from './get';
import { listCommand } from './list';
import { queueCommand } from './queue';
import { retryCommand } from './retry';
import { scheduleCommand } from './schedule';
import { statsCommand } from './stats';
import { submitCommand } from './submit';
import { waitCommand } from './wait';

/** Every client command, in the order the help lists them. */
export const CLIENT_COMMANDS: readonly CliCommand[] = [
  submitCommand,
  getCommand,
  waitCommand,
  cancelCommand,
  retryCommand,
  listCommand,
  statsCommand,
  scheduleCommand,
  queueCommand,
];
