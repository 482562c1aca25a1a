package dev.odooagent.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageTest {
  @Test
  void eachOutcomeReadsAsOneLine() {
    assertEquals(":white_check_mark: h1 now runs sha-bbbbbbb (was sha-aaaaaaa), deployed in 43 s (deploy 20260101-120000-1a2b)",
        Message.text(NotifierTest.verdict("success", null)));
    assertEquals(":x: h1 could not deploy sha-bbbbbbb after 43 s: no such tag (deploy 20260101-120000-1a2b)",
        Message.text(NotifierTest.verdict("failed", "no such tag")));
    assertEquals(":fast_forward: h1 skipped sha-bbbbbbb: already running (deploy 20260101-120000-1a2b)",
        Message.text(NotifierTest.verdict("skipped", "already running")));
  }

  @Test
  void aReasonCannotFormALinkOrAMention() {
    String text = Message.text(NotifierTest.verdict("failed", "<!channel> <https://evil.example|click> & more"));
    assertFalse(text.contains("<"), text);
    assertTrue(text.contains("&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more"), text);
  }

  @Test
  void aVersionWithoutTagIsNamedByItsShortDigest() {
    DeployVerdict v = DeployVerdict.of("h1", new JsonObject().put("id", "d1").put("outcome", "success")
        .put("to", new JsonObject().put("digest", "sha256:" + "c".repeat(64))));
    assertEquals(":white_check_mark: h1 now runs sha256:cccccccccccc (was ?) (deploy d1)", Message.text(v));
    assertEquals(null, Message.of(v, List.of()).getValue("duration_seconds"));
  }

  @Test
  void aLongReasonIsCutInTheLineAndTheField() {
    JsonObject body = Message.of(NotifierTest.verdict("failed", "x".repeat(5000)), List.of());
    assertEquals(1000, body.getString("reason").length());
    assertTrue(body.getString("text").length() < 450, body.getString("text"));
  }
}
