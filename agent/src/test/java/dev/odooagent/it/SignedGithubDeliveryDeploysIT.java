package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.awaitDeploy;
import static dev.odooagent.it.EventsSupport.bySource;
import static dev.odooagent.it.EventsSupport.deployments;
import static dev.odooagent.it.EventsSupport.events;
import static dev.odooagent.it.Webhooks.GHCR_IMAGE;
import static dev.odooagent.it.Webhooks.githubHeaders;
import static dev.odooagent.it.Webhooks.githubSignature;
import static dev.odooagent.it.Webhooks.packageEvent;
import static dev.odooagent.it.Webhooks.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A signed GitHub {@code package} delivery, through the agent's real listener on the real test bed, deploys the tag it
 * names; a wrong signature or a tampered body deploys nothing, and a replay of the accepted delivery is a no-op.
 */
class SignedGithubDeliveryDeploysIT {
  /** GitHub's documented example ("Validating webhook deliveries", testing the webhook payload validation). */
  static final String DOC_SECRET = "It's a Secret to Everybody";
  static final String DOC_PAYLOAD = "Hello, World!";
  static final String DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  static OdooFixture odoo;
  static AgentProcess agent;
  /** The signed delivery of v2 that the agent accepted in {@link #up()}, and what it answered and deployed. */
  static String delivery;
  static byte[] deliveredBody;
  static Webhooks.Reply accepted;
  static JsonObject deployed;
  static Map<String, Double> beforeDelivery;

  @BeforeAll
  static void up() throws IOException {
    odoo = new OdooFixture("it-ev-gh", "it_ev_gh", 18260, false).fresh("v1").start("v1");
    Path secret = EventsSupport.secretFile("github", DOC_SECRET);
    // service.image stays the test bed registry the agent pulls from; GitHub names the image by its GHCR name.
    agent = new AgentProcess("ev-gh", odoo, 19260, 19270)
        .set("webhooks.github_secret_file", secret.toString())
        .set("webhooks.github_image", GHCR_IMAGE).start();
    TestBed.await("the agent to see v1 running", Duration.ofSeconds(30),
        () -> TestBed.digest("v1").equals(agent.status().getJsonObject("current").getString("digest")));

    // The one deploy of this class, shared by the tests that look at it and at its replay.
    beforeDelivery = deployments(agent);
    String v2 = TestBed.digest("v2");
    delivery = newDelivery();
    deliveredBody = packageEvent("published", "jgtolentino", "odoo-ce", "CONTAINER", "v2", v2).encode().getBytes(StandardCharsets.UTF_8);
    accepted = post(agent.hookPort, "/hooks/github", githubHeaders("package", delivery, githubSignature(DOC_SECRET, deliveredBody)),
        deliveredBody);
    assertEquals(202, accepted.status(), accepted.body());
    deployed = awaitDeploy(agent, "the GitHub-triggered deploy of v2", Duration.ofSeconds(120), bySource("github", v2));
  }

  @AfterAll
  static void down() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  private static String newDelivery() {
    return UUID.randomUUID().toString();
  }

  @Test
  void githubsDocumentedSignatureVectorVerifiesThroughTheRealListener() {
    assertEquals(DOC_SIGNATURE, githubSignature(DOC_SECRET, DOC_PAYLOAD.getBytes(StandardCharsets.UTF_8)),
        "the test's own HMAC agrees with GitHub's documented vector");
    Map<String, Double> before = deployments(agent);
    double rejected = events(agent, "github", "rejected");

    Webhooks.Reply good = post(agent.hookPort, "/hooks/github", githubHeaders("ping", newDelivery(), DOC_SIGNATURE),
        DOC_PAYLOAD.getBytes(StandardCharsets.UTF_8));
    // The signature passes, so the listener goes on to read the body, which is not JSON: 400, not 401.
    assertEquals(400, good.status(), good.body());
    assertTrue(good.json().getString("error").contains("not valid JSON"), good.body());

    String flipped = DOC_SIGNATURE.substring(0, DOC_SIGNATURE.length() - 1) + (DOC_SIGNATURE.endsWith("7") ? "8" : "7");
    Webhooks.Reply bad = post(agent.hookPort, "/hooks/github", githubHeaders("ping", newDelivery(), flipped),
        DOC_PAYLOAD.getBytes(StandardCharsets.UTF_8));
    assertEquals(401, bad.status(), bad.body());
    assertTrue(bad.json().getString("error").contains("X-Hub-Signature-256 does not match"), bad.body());

    assertEquals(rejected + 2, events(agent, "github", "rejected"));
    assertEquals(before, deployments(agent));
  }

  @Test
  void aSignedPackagePublishedEventForTheServiceImageDeploysThatTagEndToEnd() {
    String v2 = TestBed.digest("v2");
    assertEquals(202, accepted.status(), accepted.body());
    assertEquals("accepted", accepted.json().getString("status"));
    JsonObject d = deployed;
    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals("v2", d.getJsonObject("to").getString("tag"));
    assertEquals(TestBed.digest("v1"), d.getJsonObject("from").getString("digest"));
    assertEquals(v2, odoo.runningDigest(), "the service container now runs v2");
    TestBed.await("the agent to see v2 running", Duration.ofSeconds(30),
        () -> v2.equals(agent.status().getJsonObject("current").getString("digest")));
    assertTrue(odoo.modules().contains("ipai_core=18.0.1.1.0"), "v2's module was upgraded: " + odoo.modules());
    assertEquals(beforeDelivery.get("success") + 1, deployments(agent).get("success"));
    assertEquals(1.0, events(agent, "github", "accepted"));
  }

  @Test
  void aWrongSecretOrATamperedBodyAnswers401AndDeploysNothing() throws IOException {
    Map<String, Double> before = deployments(agent);
    int journal = agent.journal().size();
    String running = odoo.runningDigest();
    double rejected = events(agent, "github", "rejected");
    String v1 = TestBed.digest("v1");

    byte[] wantsV1 = packageEvent("published", "jgtolentino", "odoo-ce", "CONTAINER", "v1", v1).encode().getBytes(StandardCharsets.UTF_8);
    Webhooks.Reply wrongSecret = post(agent.hookPort, "/hooks/github",
        githubHeaders("package", newDelivery(), githubSignature("not the secret", wantsV1)), wantsV1);
    assertEquals(401, wrongSecret.status(), wrongSecret.body());
    assertTrue(wrongSecret.json().getString("error").contains("X-Hub-Signature-256 does not match"), wrongSecret.body());

    // Signed while it named another package (which would only be ignored), then rewritten to name the service image.
    String signedText = new String(packageEvent("published", "jgtolentino", "other-ce", "CONTAINER", "v1", v1).encode()
        .getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    String signature = githubSignature(DOC_SECRET, signedText.getBytes(StandardCharsets.UTF_8));
    byte[] tampered = signedText.replace("other-ce", "odoo-ce").getBytes(StandardCharsets.UTF_8);
    assertNotEquals(signedText, new String(tampered, StandardCharsets.UTF_8));
    Webhooks.Reply tamperedReply = post(agent.hookPort, "/hooks/github", githubHeaders("package", newDelivery(), signature), tampered);
    assertEquals(401, tamperedReply.status(), tamperedReply.body());

    // An accepted trigger is queued on the listener's event loop before the reply goes out, so by now it would show.
    assertFalse(agent.status().getBoolean("deploy_in_progress"));
    assertEquals(before, deployments(agent));
    assertEquals(journal, agent.journal().size(), "no deploy was journaled");
    assertEquals(running, odoo.runningDigest(), "the container still runs what it ran");
    assertEquals(rejected + 2, events(agent, "github", "rejected"));
  }

  @Test
  void aReplayedDeliveryAnswers200AndIsANoOp() throws IOException {
    Map<String, Double> before = deployments(agent);
    int journal = agent.journal().size();
    int history = agent.history().size();
    double duplicates = events(agent, "github", "duplicate");

    Webhooks.Reply r = post(agent.hookPort, "/hooks/github",
        githubHeaders("package", delivery, githubSignature(DOC_SECRET, deliveredBody)), deliveredBody);

    assertEquals(200, r.status(), r.body());
    assertEquals("duplicate", r.json().getString("status"));
    assertEquals(duplicates + 1, events(agent, "github", "duplicate"));
    // Taken again, it would start a deploy of v2 (running it, or journaling a 'skipped' verdict).
    assertFalse(agent.status().getBoolean("deploy_in_progress"));
    assertEquals(before, deployments(agent));
    assertEquals(history, agent.history().size());
    assertEquals(journal, agent.journal().size());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
  }
}
