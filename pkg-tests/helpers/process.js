// Stops a child process the tests started detached (its own process group,
// so that the workers it forked go too): SIGTERM to the group, SIGKILL after
// `graceMs` if it is still there, resolved once it has exited. Only that
// group is signalled: never a process the tests did not start.

/**
 * @param {import('node:child_process').ChildProcess} child spawned with `detached: true`
 * @param {Promise<unknown>} exited resolves on the child's 'exit' event
 */
export async function stopGroup(child, exited, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Signals the child's process group; a group that is already gone is no error. */
export function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {}
}
