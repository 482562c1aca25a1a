package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * dockerd is stopped and started again while the new container is being gated. The engine restart kills the new
 * container and starts it again (its restart policy is compose's unless-stopped): the gate counts that as a restart,
 * the deploy rolls back, and the agent's engine client needs no restart of its own.
 */
// exclusive: it restarts the bed's dockerd, which every other IT runs on, so it runs alone (agent/pom.xml)
@Tag("exclusive")
class DockerdRestartDuringGateIT extends OneOdooScenario {
  @Test
  void engineRestartDuringTheGateRollsBackAndTheNextDeployWorks() throws Exception {
    odoo = new OdooFixture("it-dgate", "it_dgate", 18121, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    String rows = odoo.modules();
    // slow-start listens only after ~20 s: the gate is surely still running when the engine goes away
    agent = new AgentProcess("dgate", odoo, 19121, 19131).set("deploy.health_timeout", "90s").start();

    String id = agent.deploy(new JsonObject().put("tag", "slow-start"));
    TestBed.await("the gate of deploy " + id + " to start", Duration.ofSeconds(90), () -> Faults.stepStarted(agent, id, "await healthy"));
    Faults.restartDockerd();
    agent.awaitVerdict(id, Duration.ofMinutes(3));

    JsonObject d = Faults.assertConverged(agent, odoo, id, "rolled_back", "started again");
    assertTrue(d.getString("reason").contains("Docker engine was unreachable"), d.getString("reason"));
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    assertEquals(schema, TestBed.schema(odoo.database), "the schema is as before the deploy");
    assertEquals(rows, odoo.modules(), "the module rows are as before the deploy");

    // the same agent process deploys again: its engine client recovered on its own
    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
  }
}
