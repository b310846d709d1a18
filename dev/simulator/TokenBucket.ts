/** A token bucket whose burst is one second's worth; it refills when the rate changes. */
export class TokenBucket {
  private state = { rate: 0, tokens: 0, at: 0 };

  /** Seconds until a token is free, or undefined when the request may pass (and took a token). */
  take(rate: number | undefined): number | undefined {
    if (rate === undefined || rate <= 0) return undefined;
    const now = Date.now();
    const capacity = Math.max(1, rate);
    if (this.state.rate !== rate) this.state = { rate, tokens: capacity, at: now };
    this.state.tokens = Math.min(capacity, this.state.tokens + ((now - this.state.at) / 1000) * rate);
    this.state.at = now;
    if (this.state.tokens >= 1) {
      this.state.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.state.tokens) / rate));
  }
}
