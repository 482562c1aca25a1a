package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.awaitDeploy;
import static dev.odooagent.it.EventsSupport.bySource;
import static dev.odooagent.it.EventsSupport.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A plain {@code docker push} to the channel tag deploys it, through the real docker-registry's notifications. */
class RegistryPushNotificationDeploysIT {

  @Test
  void aPlainDockerPushToTheChannelTriggersADeployThroughRegistryNotifications() throws Exception {
    // The test bed registry notifies http://127.0.0.1:9781/hooks/registry, so this agent takes 9781. It follows a
    // private channel tag, so the shared tags (latest, v1, v2) never move, and it accepts no other tag: the registry
    // also delivers a backlog of older events to whoever listens on 9781.
    String channel = "it-channel";
    String ref = TestBed.ref(channel);
    String pushed = null;
    OdooFixture fixture = new OdooFixture("it-ev-reg", "it_ev_reg", 18261, false);
    EventsSupport.Registry registry = new EventsSupport.Registry();
    AgentProcess hooked = null;
    // other ITs may need 9781 too: they take turns
    AutoCloseable port = TestBed.holdPort(9781);
    try {
      fixture.fresh("v1").start("v1");
      hooked = new AgentProcess("ev-reg", fixture, 19261, 9781)
          .set("webhooks.registry_token_file", TestBed.env("REGISTRY_HOOK_TOKEN_FILE"))
          .set("webhooks.rate_limit", "100000")
          .set("service.track", channel)
          .set("service.tag_pattern", "^$").start();
      // A variant of v2 that differs only by a label, so every run pushes a digest never seen before and no stale
      // notification from an earlier run can satisfy this test.
      registry.buildVariant(TestBed.ref("v2"), ref, EventsSupport.nonce());
      pushed = registry.push(ref);
      String digest = pushed;

      JsonObject d = awaitDeploy(hooked, "the deploy of " + digest + " triggered by the registry's notification",
          Duration.ofSeconds(150), bySource("registry", digest));

      assertEquals("success", d.getString("outcome"), d.encode());
      assertEquals(channel, d.getJsonObject("to").getString("tag"));
      assertEquals(digest, fixture.runningDigest(), "the service container runs the pushed image");
      AgentProcess seen = hooked;
      TestBed.await("the agent to see the pushed image running", Duration.ofSeconds(30),
          () -> digest.equals(seen.status().getJsonObject("current").getString("digest")));
      assertTrue(events(hooked, "registry", "accepted") >= 1.0);
    } finally {
      if (hooked != null) {
        hooked.close();
      }
      port.close();
      fixture.close();
      TestBed.dockerQuiet("rmi", ref);
      if (pushed != null) {
        // The variant is this run's alone: deleting its manifest removes the channel tag with it.
        assertEquals(202, registry.deleteManifest(pushed), "DELETE of the pushed manifest");
      }
      registry.close();
    }
  }
}
