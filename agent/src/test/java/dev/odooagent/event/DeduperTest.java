package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeduperTest {
  @TempDir
  Path dir;

  @Test
  void aPersistentDeduperRemembersIdsAcrossARestartAndCompactsItsFile() throws Exception {
    Path file = dir.resolve("state/github-deliveries");
    Deduper before = Deduper.persistent(file, 3);
    for (String id : List.of("a", "b", "c", "d", "e", "f", "g")) {
      assertTrue(before.firstTime(id));
    }
    Deduper after = Deduper.persistent(file, 3);
    assertFalse(after.firstTime("g"), "a delivery seen before the restart is a duplicate after it");
    assertTrue(after.firstTime("a"), "only the newest `capacity` ids are kept");
    assertTrue(Files.readAllLines(file).size() <= 2 * 3 + 1, "the file was compacted when it was loaded: " + Files.readAllLines(file));
  }

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
