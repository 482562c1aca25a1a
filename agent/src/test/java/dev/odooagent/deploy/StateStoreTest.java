package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  private static final String A = "sha256:" + "a".repeat(64);
  private static final String B = "sha256:" + "b".repeat(64);
  private static final String C = "sha256:" + "c".repeat(64);

  @TempDir
  Path dir;

  private static JsonObject image(String tag, String digest) {
    return new JsonObject().put("tag", tag).put("digest", digest);
  }

  /** A deploy record's {@code from}, which carries more than the image. */
  private static JsonObject from(String tag, String digest) {
    return image(tag, digest).put("container_id", "c0ffee").put("image_id", "sha256:1d").put("container", "odoo-ce");
  }

  @Test
  void startsEmpty() {
    StateStore s = new StateStore(dir);
    assertNull(s.current());
    assertNull(s.previous());
    assertNull(s.pinned());
    assertNull(s.tagOf(A));
  }

  @Test
  void aCommittedDeployMovesTheOldImageToPrevious() {
    StateStore s = new StateStore(dir);
    s.running(image("v1", A), "t0");
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    assertEquals(image("sha-bbbbbbb", B).put("since", "t1"), s.current());
    assertEquals(image("v1", A), s.previous(), "tag and digest only, none of the deploy's container details");

    s.committed(image("sha-ccccccc", C), from("sha-bbbbbbb", B), "t2");
    assertEquals(image("sha-bbbbbbb", B), s.previous());
  }

  @Test
  void committingTheSameDigestOrFromNothingKeepsPrevious() {
    StateStore s = new StateStore(dir);
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.committed(image("sha-bbbbbbb", B), from("sha-bbbbbbb", B), "t2");
    assertEquals(image("v1", A), s.previous(), "a redeploy of what runs must not make it its own previous");
    s.committed(image("sha-ccccccc", C), from(null, null), "t3");
    assertEquals(image("v1", A), s.previous());
    s.committed(image("x", A), null, "t4");
    assertEquals(image("v1", A), s.previous());
  }

  @Test
  void runningKeepsPrevious() {
    StateStore s = new StateStore(dir);
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.running(image("v1", A), "t2");
    assertEquals(image("v1", A).put("since", "t2"), s.current());
    assertEquals(image("v1", A), s.previous(), "a rollback does not change what the previous good image was");
  }

  @Test
  void pinAndUnpin() {
    StateStore s = new StateStore(dir);
    s.pin(image("sha-bbbbbbb", B));
    assertEquals(image("sha-bbbbbbb", B), s.pinned());
    assertEquals("sha-bbbbbbb", s.tagOf(B), "a pin remembers the tag of its digest");
    s.pin(null);
    assertNull(s.pinned());
    assertNull(new StateStore(dir).pinned());
  }

  @Test
  void everythingSurvivesAReload() throws IOException {
    StateStore s = new StateStore(dir);
    s.running(image("v1", A), "t0");
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.pin(image("sha-ccccccc", C));
    StateStore again = new StateStore(dir);
    assertEquals(s.current(), again.current());
    assertEquals(s.previous(), again.previous());
    assertEquals(s.pinned(), again.pinned());
    assertEquals("v1", again.tagOf(A));
    assertEquals("sha-ccccccc", again.tagOf(C));
    assertFalse(Files.exists(dir.resolve("state.json.tmp")), "written through a temporary file renamed into place");
  }

  @Test
  void tagOfIsTheLastTagADigestWasDeployedOrPinnedAs() {
    StateStore s = new StateStore(dir);
    s.running(image("latest", A), "t0");
    assertEquals("latest", s.tagOf(A));
    s.committed(image("sha-aaaaaaa", A), from(null, null), "t1");
    assertEquals("sha-aaaaaaa", s.tagOf(A));
    s.running(image(null, A), "t2");
    assertEquals("sha-aaaaaaa", s.tagOf(A), "an unknown tag does not erase a known one");
    assertNull(s.tagOf(B));
  }

  @Test
  void aCorruptStateFileSaysWhatToDo() throws IOException {
    Files.writeString(dir.resolve("state.json"), "{\"current\": ");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new StateStore(dir));
    assertTrue(e.getMessage().contains(dir.resolve("state.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("move it aside to start fresh"), e.getMessage());
  }
}
