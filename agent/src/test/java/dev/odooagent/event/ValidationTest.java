package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationTest {

  @ParameterizedTest
  @ValueSource(strings = {"latest", "sha-057bb3a", "v1.2.3", "_private", "18.0-20250602", "A", "a_b.c-d"})
  void acceptsValidTags(String tag) {
    assertTrue(Validation.isTag(tag));
    assertEquals(tag, Validation.requireTag(tag));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "sha-$(reboot)", "../../x", "a;rm -rf /", "%00", "-dash", ".dot", "tag with space",
      "latest\n", "sha-\u00e1bc", "`id`", "a|b", "a/b", "a:b", "a@b"})
  void rejectsInvalidTags(String tag) {
    assertFalse(Validation.isTag(tag));
    assertThrows(InvalidEventException.class, () -> Validation.requireTag(tag));
  }

  @Test
  void tagLengthIsCappedAt128() {
    assertTrue(Validation.isTag("a".repeat(128)));
    assertFalse(Validation.isTag("a".repeat(129)));
    assertFalse(Validation.isTag(null));
  }

  @Test
  void tagMessageNamesTheTagAndThePattern() {
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> Validation.requireTag("sha-$(reboot)"));
    assertEquals("tag \"sha-$(reboot)\" is not a valid image tag (allowed: [A-Za-z0-9_][A-Za-z0-9._-]{0,127})",
        e.getMessage());
  }

  @Test
  void messagesEscapeControlAndNonAsciiCharacters() {
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> Validation.requireTag("a\nb\u00e9\"c"));
    assertEquals("tag \"a\\u000ab\\u00e9\\\"c\" is not a valid image tag (allowed: " + Validation.TAG_PATTERN + ")",
        e.getMessage());
    assertTrue(Validation.quote("x".repeat(500)).length() < 120);
  }

  @Test
  void digests() {
    String good = "sha256:" + "0123456789abcdef".repeat(4);
    assertTrue(Validation.isDigest(good));
    assertFalse(Validation.isDigest("sha256:" + "0123456789ABCDEF".repeat(4)));
    assertFalse(Validation.isDigest("sha256:" + "0".repeat(63)));
    assertFalse(Validation.isDigest("sha256:" + "0".repeat(65)));
    assertFalse(Validation.isDigest("sha512:" + "0".repeat(128)));
    assertFalse(Validation.isDigest(good + "\n"));
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> Validation.requireDigest("sha256:xyz"));
    assertTrue(e.getMessage().startsWith("digest \"sha256:xyz\" is not a valid digest"), e.getMessage());
  }

  @Test
  void imagesCompareCaseInsensitivelyWithoutTag() {
    String image = "ghcr.io/jgtolentino/odoo-ce";
    assertTrue(Validation.sameImage(image, "GHCR.io/JGTolentino/Odoo-CE"));
    assertTrue(Validation.sameImage(image, "ghcr.io/jgtolentino/odoo-ce:sha-057bb3a"));
    assertTrue(Validation.sameImage(image, "ghcr.io/jgtolentino/odoo-ce@sha256:" + "ab".repeat(32)));
    assertFalse(Validation.sameImage(image, "ghcr.io/jgtolentino/odoo-ce-evil"));
    assertFalse(Validation.sameImage(image, "ghcr.io/other/odoo-ce"));
    assertFalse(Validation.sameImage(image, "docker.io/jgtolentino/odoo-ce"));
    assertFalse(Validation.sameImage(image, "ghcr.io/jgtolentino/../jgtolentino/odoo-ce"));
    assertFalse(Validation.sameImage(image, "ghcr.io/jgtolentino/odoo-ce:sha-$(reboot)"));
    assertFalse(Validation.sameImage(null, image));
    assertTrue(Validation.sameImage("odoo", "docker.io/library/odoo:18.0"));
  }

  @Test
  void requireImageNamesBothImages() {
    InvalidEventException e = assertThrows(InvalidEventException.class,
        () -> Validation.requireImage("ghcr.io/x/y", "ghcr.io/jgtolentino/odoo-ce"));
    assertEquals("image \"ghcr.io/x/y\" is not service.image \"ghcr.io/jgtolentino/odoo-ce\""
        + " (this agent deploys only service.image)", e.getMessage());
  }

  @Test
  void repositoryPathAndHost() {
    assertEquals("jgtolentino/odoo-ce", Validation.repositoryPath("ghcr.io/jgtolentino/odoo-ce:latest"));
    assertEquals("ghcr.io", Validation.registryHost("ghcr.io/jgtolentino/odoo-ce"));
    assertEquals("jgtolentino/odoo-ce", Validation.repositoryPath("127.0.0.1:5000/jgtolentino/odoo-ce"));
    assertEquals("127.0.0.1:5000", Validation.registryHost("127.0.0.1:5000/jgtolentino/odoo-ce"));
    assertEquals("odoo-ce", Validation.repositoryPath("localhost/odoo-ce"));
    assertNull(Validation.repositoryPath("ghcr.io/a b/c"));
  }

  @Test
  void deliveryIds() {
    assertEquals("72d3162e-cc78-11e3-81ab-4c9367dc0958",
        Validation.requireDeliveryId("X-GitHub-Delivery header", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    InvalidEventException missing = assertThrows(InvalidEventException.class,
        () -> Validation.requireDeliveryId("X-GitHub-Delivery header", null));
    assertTrue(missing.getMessage().startsWith("X-GitHub-Delivery header is missing"), missing.getMessage());
    assertThrows(InvalidEventException.class, () -> Validation.requireDeliveryId("id", "../../x"));
    assertThrows(InvalidEventException.class, () -> Validation.requireDeliveryId("id", "a".repeat(129)));
  }

  @Test
  void triggerValidatesItsValues() {
    Instant now = Instant.parse("2025-06-02T08:05:00Z");
    Trigger t = new Trigger(Source.MQTT, "sha-057bb3a", null, null, now);
    assertEquals("mqtt", t.source().label());
    assertThrows(InvalidEventException.class, () -> new Trigger(Source.MQTT, null, null, null, now));
    assertThrows(InvalidEventException.class, () -> new Trigger(Source.ADMIN, "sha-$(reboot)", null, null, now));
    assertThrows(InvalidEventException.class, () -> new Trigger(Source.POLL, null, "sha256:bad", null, now));
  }

  @Test
  void sourceLabelsAreTheMetricLabels() {
    assertEquals("github", Source.GITHUB.label());
    assertEquals("registry", Source.REGISTRY.label());
    assertEquals("mqtt", Source.MQTT.label());
    assertEquals("poll", Source.POLL.label());
    assertEquals("admin", Source.ADMIN.label());
  }
}
