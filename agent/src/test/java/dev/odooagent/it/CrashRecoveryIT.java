package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The agent is killed with SIGKILL inside each step; restarted, it converges and leaks nothing. Each step's scenario
 * has a container, database and ports of its own, so they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class CrashRecoveryIT extends OneOdooScenario {
  /** The steps killed in, in order: a step's place gives its container it-crash-N on 18020 + N, its agent 19020/19030 + N. */
  static final List<String> STEPS = List.of("pull", "check database", "stop old", "snapshot", "upgrade", "start new",
      "await healthy", "rollback", "commit");
  /** The pull step's own way to the registry, so that the reference it removes is no other test's. */
  RegistryProxy relay;

  @AfterEach
  void relayDown() {
    if (relay != null) {
      relay.close();
      TestBed.dockerQuiet("rmi", relay.image() + "@" + TestBed.digest("v2"));
    }
  }

  /** The one-shot container (by role) that is paused to hold a kill inside a step that is otherwise too quick to hit. */
  private static final java.util.Map<String, String> PAUSED_ONE_SHOT = java.util.Map.of("check database", "check", "commit", "drop");

  /** Running containers publishing the service port: never more than one. */
  private static int holdersOfThePort(int port) {
    String out = docker("ps", "-q", "--filter", "publish=" + port).strip();
    return out.isEmpty() ? 0 : out.split("\n").length;
  }

  @ParameterizedTest(name = "killed in {0} (deploying {1})")
  @CsvSource({
      "pull,          v2,            failed",
      "check database, v2,           failed",
      "stop old,      v2,            rolled_back",
      "snapshot,      v2,            rolled_back",
      "upgrade,       upgrade-hangs, rolled_back",
      "start new,     v2,            rolled_back",
      "await healthy, slow-start,    rolled_back",
      "rollback,      never-healthy, rolled_back",
      "commit,        v2,            success"})
  void agentKilledInAStepConvergesOnRestart(String step, String tag, String outcome) throws Exception {
    int slot = STEPS.indexOf(step);
    odoo = new OdooFixture("it-crash-" + slot, "it_crash_" + slot, 18020 + slot, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    agent = new AgentProcess("crash-" + slot, odoo, 19020 + slot, 19030 + slot).set("deploy.health_timeout", step.equals("rollback") ? "6s" : "40s");
    if (step.equals("pull")) {
      // through a relay of its own, whose reference by digest it drops so the agent must really pull: removing the
      // bed's own reference would pull the rug from under the ITs running beside this one
      relay = new RegistryProxy(15061, Integer.parseInt(TestBed.env("REGISTRY").replaceAll(".*:", "")), false);
      TestBed.dockerQuiet("rmi", relay.image() + "@" + TestBed.digest(tag));
      agent.set("service.image", relay.image()).set("registry.url", "http://127.0.0.1:" + relay.port);
    }
    agent.start();
    String id = agent.deploy(new JsonObject().put("tag", tag));

    String paused = PAUSED_ONE_SHOT.get(step);
    if (paused != null) {
      // the step's one-shot container, frozen while the agent is killed, holds the kill inside the step
      String name = odoo.name + "__" + paused + "_" + id.replaceAll("[^A-Za-z0-9]", "");
      TestBed.await("the " + paused + " one-shot of step '" + step + "'", Duration.ofSeconds(90),
          () -> TestBed.exec(List.of("docker", "pause", name), java.util.Map.of(), Duration.ofSeconds(10)).code() == 0);
      agent.kill9();
      docker("unpause", name);
    } else {
      TestBed.await("step '" + step + "' to start", Duration.ofSeconds(90), () -> agent.journal().stream()
          .anyMatch(e -> step.equals(e.getString("step")) && "started".equals(e.getString("state"))));
      agent.kill9();
    }
    String lastStep = agent.journal().get(agent.journal().size() - 1).getString("step");
    assertTrue(holdersOfThePort(odoo.port) <= 1, "two containers hold the port after the kill");

    AtomicInteger maxHolders = new AtomicInteger();
    agent.start();
    TestBed.await("the interrupted deploy's verdict after restart", Duration.ofSeconds(120), () -> {
      maxHolders.accumulateAndGet(holdersOfThePort(odoo.port), Math::max);
      return agent.history().stream().map(o -> (JsonObject) o).anyMatch(d -> id.equals(d.getString("id")))
          && !agent.status().getBoolean("deploy_in_progress");
    });
    JsonObject d = agent.history().getJsonObject(0);

    assertEquals(id, d.getString("id"));
    assertEquals(outcome, d.getString("outcome"), "killed after journal entry '" + lastStep + "': " + d.encode());
    if (paused != null) {
      assertEquals(step, lastStep, "the kill landed inside the step");
    }
    assertTrue(maxHolders.get() <= 1, "two containers held the port during recovery");
    if (outcome.equals("success")) {
      // a commit interrupted after the new container passed its gate is finished, not undone
      assertEquals(TestBed.digest(tag), odoo.runningDigest());
      assertEquals(OdooFixture.V2_MODULES, odoo.customModules());
      assertEquals(List.of(odoo.name), odoo.containers(), "the old container was removed by the finished commit");
      assertEquals(List.of(), odoo.copies(), "the safety copy was dropped (deploy.keep_copy 0)");
      return;
    }
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    TestBed.await("the observer to see the restored container healthy", Duration.ofSeconds(10),
        () -> "pass".equals(agent.status().getString("health")));
    assertEquals("idle", agent.status().getString("state"));
    assertEquals(OdooFixture.V1_MODULES, odoo.customModules());
    assertEquals(schema, TestBed.schema(odoo.database), "the database is as before the deploy");
    assertEquals(List.of(odoo.name), odoo.containers(), "no aside, new or one-shot container is left");
    assertEquals(List.of(), odoo.copies(), "no safety copy is left");
    if (outcome.equals("rolled_back")) {
      String reason = step.equals("rollback") ? "health_failed" : "recovery";
      assertEquals(1.0, agent.metric("odoo_agent_rollbacks_total{host=\"" + odoo.name + "\",reason=\"" + reason + "\"}"), agent.log());
    }
  }
}
