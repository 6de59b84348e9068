import type { Schedule } from '../../../shared/gen/baton/v1/schedule';
import type { Task } from '../../../shared/gen/baton/v1/task';
import { commandGroup } from '../command-group';
import { printTask } from '../command-support';
import { printSchedule } from '../schedule-format';
import { nameCommand } from './name-command';
import { scheduleListCommand } from './schedule-list';
import { scheduleCreateCommand, scheduleUpdateCommand } from './schedule-write';

/** `baton schedule delete NAME`: says so on success (one JSON line with --json). */
const scheduleDeleteCommand = nameCommand<void>({
  name: 'schedule delete',
  summary: 'delete a schedule; the tasks it submitted stay',
  call: (client, name, signal) => client.schedules.delete(name, { signal }),
  print: (io, settings, _result, name) => {
    io.stdout(settings.json ? `${JSON.stringify({ name, deleted: true })}\n` : `deleted schedule ${name}\n`);
  },
});

const scheduleGetCommand = nameCommand<Schedule>({
  name: 'schedule get',
  summary: 'show a schedule: its spec, whether it is paused, its next fire times, its recent fires and their tasks',
  call: (client, name, signal) => client.schedules.get(name, { signal }),
  print: printSchedule,
});

const schedulePauseCommand = nameCommand<Schedule>({
  name: 'schedule pause',
  summary: 'stop a schedule firing; fire times while paused are dropped, not caught up',
  call: (client, name, signal) => client.schedules.pause(name, { signal }),
  print: printSchedule,
});

const scheduleResumeCommand = nameCommand<Schedule>({
  name: 'schedule resume',
  summary: 'let a paused schedule fire again, from its next fire time',
  call: (client, name, signal) => client.schedules.resume(name, { signal }),
  print: printSchedule,
});

/** `baton schedule trigger NAME`: prints the new task's id, as submit does (the task with --json). */
const scheduleTriggerCommand = nameCommand<Task>({
  name: 'schedule trigger',
  summary: "fire a schedule now, paused or not, whatever its overlap policy; prints the task's id",
  call: (client, name, signal) => client.schedules.trigger(name, { signal }),
  print: (io, settings, task) => {
    if (settings.json) printTask(io, settings, task);
    else io.stdout(`${task.id}\n`);
  },
});

/** `baton schedule SUBCOMMAND`: tasks submitted on a cron expression or at an interval. */
export const scheduleCommand = commandGroup({
  name: 'schedule',
  summary: 'manage schedules, which submit a task on a cron expression or at an interval',
  subcommands: [
    scheduleCreateCommand,
    scheduleUpdateCommand,
    scheduleDeleteCommand,
    scheduleGetCommand,
    scheduleListCommand,
    schedulePauseCommand,
    scheduleResumeCommand,
    scheduleTriggerCommand,
  ],
});
