package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.awaitDeploy;
import static dev.odooagent.it.EventsSupport.bySource;
import static dev.odooagent.it.EventsSupport.deployments;
import static dev.odooagent.it.EventsSupport.events;
import static dev.odooagent.it.EventsSupport.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, the registry stopped mid-run: resolves retry with backoff, the circuit breaker opens, and once the registry
 * is back the poll (the breaker's half-open trial) finds the channel head not running and deploys it.
 */
// exclusive: it stops the bed's registry, which every other IT pulls from, so it runs alone (agent/pom.xml)
@Tag("exclusive")
class EventsRegistryOutageIT {
  /** The registry resilience defaults (Resilience.Settings.defaults): 4 attempts, waits 0.5 s × 2^n ± 50 %. */
  static final Duration LEAST_BACKOFF = Duration.ofMillis(250 + 500 + 1000);

  @Test
  void registryStoppedResolveRetriesTheBreakerOpensAndThePollDeploysOnceItIsBack() throws Exception {
    String v1 = TestBed.digest("v1");
    String v2 = TestBed.digest("v2");
    boolean registryDown = false;
    try (OdooFixture odoo = new OdooFixture("it-ev-out", "it_ev_out", 18263, false).fresh("v1").start("v1")) {
      AgentProcess agent = new AgentProcess("ev-out", odoo, 19263, 19273)
          // The channel is v2 while v1 runs, so the first poll that reaches the registry deploys v2. It polls every 10 s:
          // the first poll comes after the operator's deploy below has used up its retries, and it opens the breaker.
          .set("service.track", "v2")
          .set("registry.poll_interval", "10s");
      try (agent) {
        try {
          // Stopped before the agent starts, so no poll can reach the registry before the outage.
          registryDown = true;
          EventsSupport.stopDaemon("registry");
          TestBed.await("the registry to refuse connections", Duration.ofSeconds(20), () -> !EventsSupport.registryAnswers());
          agent.start();
          assertEquals(0.0, metric(agent, "odoo_agent_registry_circuit_state"), "the breaker starts closed");

          String id = agent.deploy(new JsonObject().put("tag", "v2"));
          JsonObject failed = agent.awaitVerdict(id, Duration.ofSeconds(60));

          assertEquals("failed", failed.getString("outcome"), failed.encode());
          assertTrue(failed.getString("reason").contains("cannot connect to " + TestBed.env("REGISTRY_URL")), failed.getString("reason"));
          assertTrue(failed.getString("reason").contains("nothing was changed"), failed.getString("reason"));
          Duration took = Duration.between(Instant.parse(failed.getString("started")), Instant.parse(failed.getString("finished")));
          // Connection refused is immediate; only the three jittered waits between the four attempts take time.
          assertTrue(took.compareTo(LEAST_BACKOFF) >= 0, "the resolve retried with backoff before giving up, but took " + took);
          assertEquals(v1, odoo.runningDigest(), "nothing was changed");

          // 4 failed attempts from the deploy, then the poll's: 5 recorded calls, all failed, open the breaker.
          TestBed.await("odoo_agent_registry_circuit_state 1 (open)", Duration.ofSeconds(40),
              () -> metric(agent, "odoo_agent_registry_circuit_state") == 1.0);
          assertEquals(1.0, deployments(agent).get("failed"));
          assertEquals(0.0, deployments(agent).get("success"));
        } finally {
          if (registryDown) {
            EventsSupport.testbedUp();
            registryDown = false;
          }
        }
        assertTrue(EventsSupport.registryAnswers(), "scripts/testbed up brought the registry back");

        // The breaker stays open for its 30 s wait; the first poll after that is its half-open trial. It reaches the
        // registry, closes the breaker, finds v2 (the channel) not running and triggers the deploy.
        JsonObject d = awaitDeploy(agent, "the poll-triggered deploy of v2 after the breaker's open wait", Duration.ofSeconds(120),
            bySource("poll", v2));
        assertEquals("success", d.getString("outcome"), d.encode());
        assertEquals(v2, odoo.runningDigest());
        assertEquals(0.0, metric(agent, "odoo_agent_registry_circuit_state"), "the breaker closed again");
        assertEquals(1.0, events(agent, "poll", "accepted"));
        assertEquals(List.of(1.0, 0.0, 1.0, 0.0), List.copyOf(deployments(agent).values()), "success, rolled_back, failed, skipped");
      }
    } finally {
      if (registryDown) {
        EventsSupport.testbedUp();
      }
    }
  }
}
