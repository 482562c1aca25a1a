package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeduperTest {

  @Test
  void secondSightingIsNotFirstTime() {
    Deduper d = new Deduper();
    assertTrue(d.firstTime("a"));
    assertFalse(d.firstTime("a"));
    assertTrue(d.firstTime("b"));
  }

  @Test
  void keepsAtMostCapacityForgettingLeastRecentlySeen() {
    Deduper d = new Deduper(3);
    d.firstTime("a");
    d.firstTime("b");
    d.firstTime("c");
    assertFalse(d.firstTime("a"));
    d.firstTime("d");
    assertEquals(3, d.size());
    assertTrue(d.firstTime("b"), "b was the least recently seen and must have been evicted");
    assertFalse(d.firstTime("a"));
  }

  @Test
  void defaultCapacityHoldsTenThousand() {
    Deduper d = new Deduper();
    for (int i = 0; i < 10_000; i++) {
      assertTrue(d.firstTime("id-" + i));
    }
    assertFalse(d.firstTime("id-0"));
    assertTrue(d.firstTime("id-10000"));
    assertEquals(10_000, d.size());
  }

  @Test
  void forgottenIdIsFirstTimeAgain() {
    Deduper d = new Deduper();
    d.firstTime("a");
    d.forget("a");
    assertTrue(d.firstTime("a"));
  }

  @Test
  void rejectsZeroCapacity() {
    assertThrows(IllegalArgumentException.class, () -> new Deduper(0));
  }
}
