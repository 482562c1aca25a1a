package dev.odooagent.event;

import static dev.odooagent.event.Fixtures.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class GithubWebhookTest {

  private static final String VECTOR_SIGNATURE =
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  private final GithubWebhook hook = new GithubWebhook(Fixtures.IMAGE);

  @Test
  void githubDocumentedTestVectorVerifies() {
    byte[] secret = utf8("It's a Secret to Everybody");
    byte[] payload = utf8("Hello, World!");
    assertEquals(VECTOR_SIGNATURE, GithubWebhook.sign(secret, payload));
    assertTrue(GithubWebhook.signatureMatches(secret, payload, VECTOR_SIGNATURE));
  }

  @Test
  void signatureFailsOnTamperingWrongSecretOrMalformedHeader() {
    byte[] secret = utf8("It's a Secret to Everybody");
    byte[] payload = utf8("Hello, World!");
    assertFalse(GithubWebhook.signatureMatches(secret, utf8("Hello, World?"), VECTOR_SIGNATURE));
    assertFalse(GithubWebhook.signatureMatches(utf8("another secret"), payload, VECTOR_SIGNATURE));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, null));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, ""));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, VECTOR_SIGNATURE.substring(7)));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, VECTOR_SIGNATURE.replace("sha256=", "sha1=")));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, VECTOR_SIGNATURE.substring(0, 70)));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, "sha256=" + "zz".repeat(32)));
    assertFalse(GithubWebhook.signatureMatches(secret, payload, VECTOR_SIGNATURE + "00"));
  }

  @Test
  void packagePublishedContainerIsACandidate() {
    EventOutcome outcome = hook.classify("package", Fixtures.githubPackage());
    assertEquals(new EventOutcome.Candidate(Fixtures.GITHUB_TAG, Fixtures.INDEX_DIGEST), outcome);
  }

  @Test
  void registryPackagePublishedContainerIsACandidate() {
    EventOutcome outcome = hook.classify("registry_package", Fixtures.githubRegistryPackage());
    assertEquals(new EventOutcome.Candidate("latest", Fixtures.INDEX_DIGEST), outcome);
  }

  @Test
  void updatedActionIsACandidate() {
    ObjectNode payload = Fixtures.githubPackage();
    payload.put("action", "updated");
    assertInstanceOf(EventOutcome.Candidate.class, hook.classify("package", payload));
  }

  @Test
  void parsesRawBytes() {
    EventOutcome outcome = hook.parse("package", Fixtures.bytes(Fixtures.githubPackage()));
    assertEquals(new EventOutcome.Candidate(Fixtures.GITHUB_TAG, Fixtures.INDEX_DIGEST), outcome);
  }

  @Test
  void ownerAndNameCompareCaseInsensitivelyAndPackageTypeInAnyCase() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package.owner").put("login", "JGTolentino");
    Fixtures.at(payload, "package").put("name", "Odoo-CE").put("package_type", "container");
    assertInstanceOf(EventOutcome.Candidate.class, hook.classify("package", payload));
  }

  @Test
  void namespaceIsUsedWhenOwnerIsAbsent() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package").remove("owner");
    assertInstanceOf(EventOutcome.Candidate.class, hook.classify("package", payload));
  }

  @Test
  void missingDigestGivesATagOnlyCandidate() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.tag(payload).remove("digest");
    assertEquals(new EventOutcome.Candidate(Fixtures.GITHUB_TAG, null), hook.classify("package", payload));
  }

  @Test
  void emptyTagNameOfAMultiArchManifestIsIgnored() {
    assertIgnored(hook.classify("package", Fixtures.githubMultiArchManifest()), "empty tag name");
  }

  @Test
  void otherRepositoryIsIgnored() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package").put("name", "odoo-ce-evil");
    assertIgnored(hook.classify("package", payload), "is not service.image");
  }

  @Test
  void otherOwnerIsIgnored() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package.owner").put("login", "someone-else");
    assertIgnored(hook.classify("package", payload), "is not service.image");
  }

  @Test
  void serviceImageOnAnotherRegistryNeverMatches() {
    GithubWebhook elsewhere = new GithubWebhook("127.0.0.1:5000/jgtolentino/odoo-ce");
    assertIgnored(elsewhere.classify("package", Fixtures.githubPackage()), "is not service.image");
  }

  @Test
  void npmPackageIsIgnored() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package").put("package_type", "npm");
    assertIgnored(hook.classify("package", payload), "is not a container image");
  }

  @Test
  void unpublishedActionIsIgnored() {
    ObjectNode payload = Fixtures.githubPackage();
    payload.put("action", "deleted");
    assertIgnored(hook.classify("package", payload), "neither published nor updated");
  }

  @Test
  void otherEventTypesAndPingAreIgnored() {
    assertIgnored(hook.classify("push", Fixtures.githubPackage()), "is not a package event");
    assertIgnored(hook.classify("ping", Fixtures.MAPPER.createObjectNode().put("zen", "Keep it logically awesome.")),
        "ping");
  }

  @Test
  void missingContainerTagIsIgnored() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.at(payload, "package.package_version").remove("container_metadata");
    assertIgnored(hook.classify("package", payload), "no container tag");
  }

  @Test
  void injectionTagIsRejectedWithItsName() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.tag(payload).put("name", "sha-$(reboot)");
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> hook.classify("package", payload));
    assertTrue(e.getMessage().contains("\"sha-$(reboot)\""), e.getMessage());
  }

  @Test
  void badDigestIsRejected() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.tag(payload).put("digest", "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b");
    assertThrows(InvalidEventException.class, () -> hook.classify("package", payload));
  }

  @Test
  void wrongTypesAreRejectedNamingTheField() {
    ObjectNode payload = Fixtures.githubPackage();
    Fixtures.tag(payload).put("name", 123);
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> hook.classify("package", payload));
    assertEquals("field package.package_version.container_metadata.tag.name must be a string, got a number",
        e.getMessage());
    ObjectNode arrayPackage = Fixtures.githubPackage();
    arrayPackage.putArray("package");
    e = assertThrows(InvalidEventException.class, () -> hook.classify("package", arrayPackage));
    assertEquals("field package must be an object, got an array", e.getMessage());
  }

  @Test
  void missingOrOddEventHeaderIsRejected() {
    assertThrows(InvalidEventException.class, () -> hook.classify(null, Fixtures.githubPackage()));
    assertThrows(InvalidEventException.class, () -> hook.classify("package; rm -rf /", Fixtures.githubPackage()));
  }

  @Test
  void malformedJsonIsRejected() {
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> hook.parse("package", utf8("{\"a\":")));
    assertTrue(e.getMessage().startsWith("body is not valid JSON"), e.getMessage());
    assertThrows(InvalidEventException.class, () -> hook.parse("package", utf8("{\"a\":1,\"a\":2}")));
    assertThrows(InvalidEventException.class, () -> hook.parse("package", utf8("{} {}")));
    assertThrows(InvalidEventException.class, () -> hook.parse("package", utf8("[]")));
    assertThrows(InvalidEventException.class, () -> hook.parse("package", new byte[0]));
  }

  private static void assertIgnored(EventOutcome outcome, String reasonPart) {
    EventOutcome.Ignored ignored = assertInstanceOf(EventOutcome.Ignored.class, outcome);
    assertTrue(ignored.reason().contains(reasonPart), ignored.reason());
  }
}
