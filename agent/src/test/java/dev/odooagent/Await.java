package dev.odooagent;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** The one way integration tests wait: poll a condition until it holds, and fail naming it at the deadline. */
public final class Await {
  private Await() {}

  /** Polls {@code condition} every {@code every} until it holds; throws AssertionError naming {@code what} at the deadline. */
  public static void until(String what, Duration timeout, Duration every, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      try {
        TimeUnit.NANOSECONDS.sleep(every.toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }
}
