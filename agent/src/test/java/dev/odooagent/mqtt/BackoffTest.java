package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesUpToTheCapAndStartsOverOnReset() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2, () -> 0.5);
    long[] expected = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (long delay : expected) {
      assertEquals(delay, backoff.nextDelayMillis());
    }
    backoff.reset();
    assertEquals(500, backoff.nextDelayMillis());
  }

  @Test
  void jitterStaysWithinTwentyPercent() {
    Backoff low = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2, () -> 0.0);
    Backoff high = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2, () -> 0.999_999);
    assertEquals(400, low.nextDelayMillis());
    assertEquals(600, high.nextDelayMillis());
    for (int i = 0; i < 20; i++) {
      low.nextDelayMillis();
      high.nextDelayMillis();
    }
    assertEquals(24000, low.nextDelayMillis());
    assertEquals(36000, high.nextDelayMillis());
  }
}
