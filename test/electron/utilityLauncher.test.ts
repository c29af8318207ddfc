import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { utilityProcessLauncher } from '../../src-main/electron/utilityLauncher';
import { createLogger } from '../../src-main/core/logger';

class FakeUtilityChild extends EventEmitter {
  pid = 4242;
  stdout = null;
  stderr = null;
  posted: unknown[] = [];
  killed = false;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  kill() {
    this.killed = true;
    this.emit('exit', 9);
    return true;
  }
}

describe('utility process launcher', () => {
  it('forks the model worker entry as a utility process and speaks the same protocol', () => {
    const forks: { file: string; options: unknown }[] = [];
    let child!: FakeUtilityChild;
    const fake = {
      fork(file: string, _args: string[], options: unknown) {
        forks.push({ file, options });
        child = new FakeUtilityChild();
        return child;
      },
    };
    const launcher = utilityProcessLauncher(fake as never, createLogger(null));
    const handle = launcher.launch();
    expect(forks[0]!.file).toMatch(/modelWorker\.(js|ts)$/);
    expect(handle.pid).toBe(4242);
    const got: unknown[] = [];
    handle.onMessage((m) => got.push(m));
    const exits: (number | null)[] = [];
    handle.onExit((code) => exits.push(code));
    handle.send({ type: 'ping', id: 1 } as never);
    expect(child.posted).toEqual([{ type: 'ping', id: 1 }]);
    child.emit('message', { type: 'pong', id: 1 });
    expect(got).toEqual([{ type: 'pong', id: 1 }]);
    handle.kill();
    expect(child.killed).toBe(true);
    expect(exits).toEqual([9]);
    handle.send({ type: 'ping', id: 2 } as never);
    expect(child.posted).toHaveLength(1);
  });
});
