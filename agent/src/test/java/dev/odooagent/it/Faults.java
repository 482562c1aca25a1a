package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Outages for the fault scenarios (through scripts/testbed, so the start logic lives in one place) and their end checks. */
final class Faults {
  private Faults() {}

  /** Stops and starts the bed's dockerd, as a host's engine restart would; returns when it answers again. */
  static void restartDockerd() {
    testbed("restart-dockerd");
  }

  /** Stops the bed's registry process. */
  static void stopRegistry() {
    testbed("stop-registry");
  }

  /** Starts the bed's registry again. */
  static void startRegistry() {
    testbed("start-registry");
  }

  private static void testbed(String verb) {
    Path script = Path.of(System.getProperty("project.root", "..")).resolve("scripts/testbed");
    TestBed.Result r = TestBed.exec(List.of(script.toString(), verb), Map.of(), Duration.ofMinutes(3));
    if (r.code() != 0) {
      fail("scripts/testbed " + verb + " exited " + r.code() + ": " + r.err() + r.out());
    }
  }

  /** The service container's id, start time and state: equal before and after means nothing touched it. */
  static String untouched(OdooFixture odoo) {
    return docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", odoo.name).strip();
  }

  /**
   * What every fault scenario must end with: the deploy's verdict with a reason naming what failed, in /history and
   * /status; exactly one Odoo container, running and healthy; no aside, one-shot or safety copy left.
   */
  static JsonObject assertConverged(AgentProcess agent, OdooFixture odoo, String deployId, String outcome, String reasonNames) {
    JsonObject d = agent.history().getJsonObject(0);
    assertEquals(deployId, d.getString("id"), "the newest verdict in /history is this deploy's: " + d.encode());
    assertEquals(outcome, d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason", "").contains(reasonNames), "the reason names what failed (" + reasonNames + "): " + d.getString("reason"));
    JsonObject last = agent.status().getJsonObject("last_deploy");
    assertEquals(deployId, last.getString("id"), "/status names the deploy: " + last.encode());
    assertEquals(d.getString("reason"), last.getString("reason"));
    assertEquals(List.of(odoo.name), odoo.containers(), "exactly the service container is left: no aside, new or one-shot one");
    assertEquals(List.of(), odoo.copies(), "no safety copy is left");
    assertEquals("true", docker("inspect", "--format", "{{.State.Running}}", odoo.name).strip(), "the service container runs");
    TestBed.await(odoo.name + " answering its health check", Duration.ofSeconds(60), () ->
        TestBed.exec(List.of("curl", "-sf", odoo.healthUrl()), Map.of(), Duration.ofSeconds(5)).code() == 0);
    TestBed.await("the agent to see the service healthy", Duration.ofSeconds(20), () -> "pass".equals(agent.status().getString("health")));
    assertEquals("idle", agent.status().getString("state"), "the agent is ready for the next deploy");
    return d;
  }

  /** Whether the journal shows {@code step} started for the deploy. */
  static boolean stepStarted(AgentProcess agent, String deployId, String step) {
    return agent.journal().stream().anyMatch(e -> deployId.equals(e.getString("deploy_id")) && step.equals(e.getString("step"))
        && "started".equals(e.getString("state")));
  }
}
