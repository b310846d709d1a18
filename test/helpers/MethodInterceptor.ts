/**
 * Replaces methods of the app's own store instances (the handlers use these very objects) for a
 * test, and puts every original back afterwards.
 */
export class MethodInterceptor {
  private restore: Array<() => void> = [];

  intercept<T extends object, K extends keyof T>(
    target: T,
    key: K,
    replacement: (original: T[K]) => T[K],
  ): void {
    const original = target[key];
    target[key] = replacement((original as (...args: unknown[]) => unknown).bind(target) as T[K]);
    this.restore.push(() => {
      target[key] = original;
    });
  }

  restoreAll(): void {
    for (const undo of this.restore.reverse()) undo();
    this.restore = [];
  }
}
