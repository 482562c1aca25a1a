package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * dockerd is stopped and started again while the module upgrade runs in its one-shot container. The engine kills the
 * one-shot (it has no restart policy); the deploy rolls back, waiting for the engine to answer again, and puts back
 * the database from the safety copy and the old container.
 */
// exclusive: it restarts the bed's dockerd, which every other IT runs on, so it runs alone (agent/pom.xml)
@Tag("exclusive")
class DockerdRestartDuringUpgradeIT extends OneOdooScenario {
  @Test
  void engineRestartDuringTheUpgradeRollsBackAndRestoresTheDatabase() throws Exception {
    odoo = new OdooFixture("it-dupg", "it_dupg", 18122, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    String rows = odoo.modules();
    // upgrade-hangs applies its first schema change and then never finishes: the one-shot is surely still running
    agent = new AgentProcess("dupg", odoo, 19122, 19132).set("deploy.upgrade_timeout", "5m").start();

    String id = agent.deploy(new JsonObject().put("tag", "upgrade-hangs"));
    TestBed.await("the upgrade one-shot of deploy " + id + " to run", Duration.ofSeconds(90), () ->
        !TestBed.docker("ps", "-q", "--filter", "name=^/" + odoo.name + "__upgrade_", "--filter", "status=running").isBlank());
    Faults.restartDockerd();
    agent.awaitVerdict(id, Duration.ofMinutes(3));

    Faults.assertConverged(agent, odoo, id, "rolled_back", "Docker engine");
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    assertEquals(schema, TestBed.schema(odoo.database), "the half-applied upgrade was undone");
    assertEquals(rows, odoo.modules(), "the module rows are as before the deploy");

    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
  }
}
