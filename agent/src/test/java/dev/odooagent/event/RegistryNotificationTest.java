package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryNotificationTest {

  private final RegistryNotification reader = new RegistryNotification("127.0.0.1:5000/jgtolentino/odoo-ce");

  @Test
  void manifestPushWithTagIsACandidateAndBlobPushesAreIgnored() {
    List<RegistryNotification.Event> events = reader.classify(Fixtures.registryEnvelope());
    assertEquals(3, events.size());
    assertIgnored(events.get(0), "is not a manifest or an index");
    assertIgnored(events.get(1), "is not a manifest or an index");
    assertEquals(new RegistryNotification.Event(Fixtures.REGISTRY_EVENT_ID,
        new EventOutcome.Candidate("latest", Fixtures.REGISTRY_DIGEST)), events.get(2));
  }

  @Test
  void comparesRepositoryOnlyNotTheRegistryHost() {
    RegistryNotification onGhcr = new RegistryNotification(Fixtures.IMAGE);
    assertInstanceOf(EventOutcome.Candidate.class, onGhcr.classify(Fixtures.registryEnvelope()).get(2).outcome());
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json"})
  void everyManifestAndIndexTypeCounts(String mediaType) {
    ObjectNode envelope = Fixtures.registryManifestOnly();
    Fixtures.target(envelope, 0).put("mediaType", mediaType);
    assertInstanceOf(EventOutcome.Candidate.class, reader.classify(envelope).get(0).outcome());
  }

  @Test
  void pullIsIgnored() {
    ObjectNode envelope = Fixtures.registryManifestOnly();
    ((ObjectNode) envelope.get("events").get(0)).put("action", "pull");
    assertIgnored(reader.classify(envelope).get(0), "is not push");
  }

  @Test
  void otherRepositoryIsIgnored() {
    ObjectNode envelope = Fixtures.registryManifestOnly();
    Fixtures.target(envelope, 0).put("repository", "jgtolentino/other");
    assertIgnored(reader.classify(envelope).get(0), "is not the repository of service.image");
  }

  @Test
  void pushWithoutTagIsIgnored() {
    ObjectNode envelope = Fixtures.registryManifestOnly();
    Fixtures.target(envelope, 0).remove("tag");
    assertIgnored(reader.classify(envelope).get(0), "without a tag");
  }

  @Test
  void invalidTagOrDigestIsRejected() {
    ObjectNode badTag = Fixtures.registryManifestOnly();
    Fixtures.target(badTag, 0).put("tag", "../../x");
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> reader.classify(badTag));
    assertTrue(e.getMessage().contains("\"../../x\""), e.getMessage());
    ObjectNode badDigest = Fixtures.registryManifestOnly();
    Fixtures.target(badDigest, 0).put("digest", "sha256:xyz");
    assertThrows(InvalidEventException.class, () -> reader.classify(badDigest));
  }

  @Test
  void malformedEnvelopesAreRejectedNamingTheField() {
    ObjectNode noEvents = Fixtures.MAPPER.createObjectNode();
    assertEquals("field events is missing (expected an array)",
        assertThrows(InvalidEventException.class, () -> reader.classify(noEvents)).getMessage());
    ObjectNode numberEvent = Fixtures.MAPPER.createObjectNode();
    numberEvent.putArray("events").add(1);
    assertEquals("field events[0] must be an object",
        assertThrows(InvalidEventException.class, () -> reader.classify(numberEvent)).getMessage());
    ObjectNode noId = Fixtures.registryManifestOnly();
    ((ObjectNode) noId.get("events").get(0)).remove("id");
    assertEquals("field events[0].id is missing (expected a string)",
        assertThrows(InvalidEventException.class, () -> reader.classify(noId)).getMessage());
  }

  @Test
  void emptyEnvelopeHasNoEvents() {
    assertTrue(reader.parse(Fixtures.utf8("{\"events\":[]}")).isEmpty());
  }

  private static void assertIgnored(RegistryNotification.Event event, String reasonPart) {
    EventOutcome.Ignored ignored = assertInstanceOf(EventOutcome.Ignored.class, event.outcome());
    assertTrue(ignored.reason().contains(reasonPart), ignored.reason());
  }
}
