package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TagEventsTest {

  private static final String IMAGE = "ghcr.io/jgtolentino/odoo-ce";
  private static final String DIGEST = "sha256:" + "0f".repeat(32);
  private static final Instant AT = Instant.ofEpochSecond(1_700_000_000L);
  private final TagEvents events = new TagEvents(IMAGE);

  private TagEvents.Outcome read(String json) {
    return events.read(json.getBytes(StandardCharsets.UTF_8), AT);
  }

  @Test
  void eventForTheServiceImageBecomesATrigger() {
    TagEvents.Outcome outcome = read("{\"image\":\"" + IMAGE + "\",\"tag\":\"sha-057bb3a\",\"digest\":\"" + DIGEST
        + "\"}");
    assertEquals(new Trigger(Source.MQTT, "sha-057bb3a", DIGEST, null, AT), outcome.trigger());
  }

  @Test
  void imageIsComparedCaseInsensitivelyAndDigestIsOptional() {
    Trigger trigger = read("{\"image\":\"GHCR.io/JGTolentino/Odoo-CE\",\"tag\":\"latest\"}").trigger();
    assertNotNull(trigger);
    assertNull(trigger.digest());
  }

  @Test
  void otherImageIsIgnored() {
    TagEvents.Outcome outcome = read("{\"image\":\"ghcr.io/someone/else\",\"tag\":\"v1\"}");
    assertNull(outcome.trigger());
    assertTrue(outcome.ignoredReason().contains("is not service.image"), outcome.ignoredReason());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not json",
      "[]",
      "{\"tag\":\"v1\"}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\"}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\",\"tag\":\"sha-$(reboot)\"}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\",\"tag\":\"../../x\"}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\",\"tag\":7}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\",\"tag\":\"v1\",\"digest\":\"sha256:ABC\"}",
      "{\"image\":\"ghcr.io/jgtolentino/odoo-ce\",\"tag\":\"v1\",\"digest\":5}",
      "{\"image\":[\"ghcr.io/jgtolentino/odoo-ce\"],\"tag\":\"v1\"}"})
  void malformedEventIsRejected(String json) {
    TagEvents.Outcome outcome = read(json);
    assertNull(outcome.trigger());
    assertTrue(outcome.rejectedReason().startsWith("tag event rejected: "), outcome.rejectedReason());
  }
}
