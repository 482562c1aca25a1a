package dev.odooagent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** How --wait prints a deploy's events and which exit code its verdict gives. */
class FollowTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  final Follow follow = new Follow(new PrintWriter(out, true), new PrintWriter(err, true));

  private static JsonObject event(String step, String state, String at) {
    return new JsonObject().put("deploy_id", "d1").put("step", step).put("state", state).put("at", at);
  }

  private static JsonObject verdict(String outcome, String reason) {
    return event("verdict", outcome, "2026-01-01T12:00:30Z").put("reason", reason).put("duration_seconds", 30.25)
        .put("from", new JsonObject().put("tag", "v1")).put("to", new JsonObject().put("tag", "v2"));
  }

  @Test
  void stepsPrintAsTheyHappenWithTheirDurationsAndPullProgress() {
    assertNull(follow.show(event("pull", "started", "2026-01-01T12:00:00Z")));
    assertNull(follow.show(event("pull", "progress", "2026-01-01T12:00:01Z").put("detail", "a1b2c3: Downloading 512/2048 KiB")));
    assertNull(follow.show(event("pull", "done", "2026-01-01T12:00:03.500Z")));
    assertEquals(0, follow.show(verdict("success", null)));
    String[] lines = out.toString().split("\n");
    assertTrue(lines[0].endsWith("pull             started"), lines[0]);
    assertTrue(lines[1].endsWith("pull             a1b2c3: Downloading 512/2048 KiB"), lines[1]);
    assertTrue(lines[2].endsWith("pull             done in 3.5 s"), lines[2]);
    assertEquals("success: v1 -> v2 in 30.3 s", lines[3]);
    assertEquals("", err.toString());
  }

  @Test
  void aRollbackOrAFailureExitsOneWithTheReasonOnStderr() {
    assertEquals(1, follow.show(verdict("rolled_back", "new container failed its health gate")));
    assertEquals("odoo-agent: deploy d1 rolled_back: v1 -> v2 in 30.3 s: new container failed its health gate\n", err.toString());
    assertEquals(1, follow.show(verdict("failed", "tag not found")));
    assertEquals(1, follow.show(event("verdict", "unknown", null).put("reason", "a newer command replaced it")));
    assertEquals(0, follow.show(verdict("skipped", "already running")), "nothing to do is not an error");
  }
}
