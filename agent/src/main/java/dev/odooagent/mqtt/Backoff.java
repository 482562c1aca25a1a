package dev.odooagent.mqtt;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/** Exponential reconnect delays with a cap and a symmetric random jitter. */
final class Backoff {

  private final long initialMillis;
  private final long maxMillis;
  private final double jitter;
  private final DoubleSupplier random;
  private int attempt;

  /** Delays start at initial, double per attempt up to max, and vary by ±jitter (a fraction) using random in [0,1). */
  Backoff(Duration initial, Duration max, double jitter, DoubleSupplier random) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.jitter = jitter;
    this.random = random;
  }

  /** The delay before the next attempt; each call moves one attempt further. */
  long nextDelayMillis() {
    double base = Math.min(maxMillis, initialMillis * Math.pow(2, Math.min(attempt, 30)));
    attempt++;
    double factor = 1 + jitter * (2 * random.getAsDouble() - 1);
    return Math.max(1, Math.round(base * factor));
  }

  /** Starts over from the initial delay, after a successful connection. */
  void reset() {
    attempt = 0;
  }
}
