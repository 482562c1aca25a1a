package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  private static final String A = "sha256:" + "a".repeat(64);
  private static final String B = "sha256:" + "b".repeat(64);
  private static final String C = "sha256:" + "c".repeat(64);

  @TempDir
  Path dir;
  private Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    join(vertx.close());
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }

  private static JsonObject image(String tag, String digest) {
    return new JsonObject().put("tag", tag).put("digest", digest);
  }

  /** A deploy record's {@code from}, which carries more than the image. */
  private static JsonObject from(String tag, String digest) {
    return image(tag, digest).put("container_id", "c0ffee").put("image_id", "sha256:1d").put("container", "odoo-ce");
  }

  @Test
  void startsEmpty() {
    StateStore s = new StateStore(vertx, dir);
    assertNull(s.current());
    assertNull(s.previous());
    assertNull(s.pinned());
    assertNull(s.tagOf(A));
  }

  @Test
  void aCommittedDeployMovesTheOldImageToPrevious() {
    StateStore s = new StateStore(vertx, dir);
    s.running(image("v1", A), "t0");
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    assertEquals(image("sha-bbbbbbb", B).put("since", "t1"), s.current());
    assertEquals(image("v1", A), s.previous(), "tag and digest only, none of the deploy's container details");

    s.committed(image("sha-ccccccc", C), from("sha-bbbbbbb", B), "t2");
    assertEquals(image("sha-bbbbbbb", B), s.previous());
  }

  @Test
  void committingTheSameDigestOrFromNothingKeepsPrevious() {
    StateStore s = new StateStore(vertx, dir);
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
    StateStore s = new StateStore(vertx, dir);
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.running(image("v1", A), "t2");
    assertEquals(image("v1", A).put("since", "t2"), s.current());
    assertEquals(image("v1", A), s.previous(), "a rollback does not change what the previous good image was");
  }

  @Test
  void pinAndUnpin() {
    StateStore s = new StateStore(vertx, dir);
    s.pin(image("sha-bbbbbbb", B));
    assertEquals(image("sha-bbbbbbb", B), s.pinned());
    assertEquals("sha-bbbbbbb", s.tagOf(B), "a pin remembers the tag of its digest");
    join(s.pin(null));
    assertNull(s.pinned());
    assertNull(new StateStore(vertx, dir).pinned());
  }

  @Test
  void everythingSurvivesAReload() throws IOException {
    StateStore s = new StateStore(vertx, dir);
    s.running(image("v1", A), "t0");
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    join(s.pin(image("sha-ccccccc", C)));
    StateStore again = new StateStore(vertx, dir);
    assertEquals(s.current(), again.current());
    assertEquals(s.previous(), again.previous());
    assertEquals(s.pinned(), again.pinned());
    assertEquals("v1", again.tagOf(A));
    assertEquals("sha-ccccccc", again.tagOf(C));
    assertFalse(Files.exists(dir.resolve("state.json.tmp")), "written through a temporary file renamed into place");
  }

  @Test
  void theHostRemembersWhatItLeftRejectedAndFailedAcrossAReload() {
    StateStore s = new StateStore(vertx, dir);
    s.running(image("v1", A), "t0");
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.rejected(C, "deploy d3 rolled back: health_failed");
    s.keptCopy(new JsonObject().put("name", "odoo__pre_d2"));
    join(s.failed(new JsonObject().put("deploy_id", "d3").put("reason", "old one failed too")));
    StateStore again = new StateStore(vertx, dir);
    assertEquals("t1", again.leftAt(A), "v1 was left for B");
    assertNull(again.leftAt(B), "what runs now was not left");
    assertEquals("deploy d3 rolled back: health_failed", again.rejectedBy(C));
    assertEquals("old one failed too", again.failure());
    assertEquals("odoo__pre_d2", again.keptCopy().getString("name"));
    assertEquals(B, again.current().getString("digest"));
  }

  @Test
  void goingBackToADigestForgetsThatItWasLeftAndCommittingOneForgetsItsRejection() {
    StateStore s = new StateStore(vertx, dir);
    s.committed(image("sha-bbbbbbb", B), from("v1", A), "t1");
    s.rejected(C, "rolled back");
    s.running(image("v1", A), "t2");
    assertNull(s.leftAt(A), "an operator moved the host back to A: it runs, so it is not 'left'");
    s.committed(image("sha-ccccccc", C), from("v1", A), "t3");
    assertNull(s.rejectedBy(C), "an operator deployed C and it committed");
    assertEquals("t3", s.leftAt(A));
  }

  @Test
  void tagOfIsTheLastTagADigestWasDeployedOrPinnedAs() {
    StateStore s = new StateStore(vertx, dir);
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
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new StateStore(vertx, dir));
    assertTrue(e.getMessage().contains(dir.resolve("state.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("move it aside to start fresh"), e.getMessage());
  }
}
