package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * dockerd is stopped and started again while it pulls the new image. The pull is held at the registry (through a
 * relay) so that it is surely in flight; the engine restart cuts the agent's pull stream. The deploy is refused with
 * nothing changed, and the same agent process deploys once the registry answers.
 */
// exclusive: it restarts the bed's dockerd, which every other IT runs on, so it runs alone (agent/pom.xml)
@Tag("exclusive")
class DockerdRestartDuringPullIT {
  OdooFixture odoo;
  AgentProcess agent;
  RegistryProxy registry;

  @AfterEach
  void down() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    if (registry != null) {
      registry.close();
      // the image reference this test pulled through the relay; the image itself is the bed's and stays
      TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  @Test
  void engineRestartDuringThePullRefusesTheDeployAndTheNextDeployWorks() throws Exception {
    odoo = new OdooFixture("it-dpull", "it_dpull", 18123, false).fresh("v1").start("v1");
    String containerId = TestBed.docker("inspect", "--format", "{{.Id}}", odoo.name).strip();
    String schema = TestBed.schema(odoo.database);
    registry = new RegistryProxy(15123, Integer.parseInt(TestBed.env("REGISTRY").replaceAll(".*:", "")), true);
    TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    agent = new AgentProcess("dpull", odoo, 19123, 19133).set("service.image", registry.image())
        .set("registry.url", "http://127.0.0.1:" + registry.port).start();

    String id = agent.deploy(new JsonObject().put("digest", TestBed.digest("v2")));
    TestBed.await("dockerd's pull for deploy " + id + " to reach the registry", Duration.ofSeconds(60), () ->
        Faults.stepStarted(agent, id, "pull") && registry.held.get() > 0);
    Faults.restartDockerd();
    agent.awaitVerdict(id, Duration.ofMinutes(2));

    JsonObject d = Faults.assertConverged(agent, odoo, id, "failed", "Docker engine");
    assertTrue(d.getString("reason").contains("nothing was changed"), d.getString("reason"));
    assertEquals(containerId, TestBed.docker("inspect", "--format", "{{.Id}}", odoo.name).strip(), "the old container was kept");
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves");
    assertEquals(schema, TestBed.schema(odoo.database), "the database was not touched");

    registry.relay();
    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("digest", TestBed.digest("v2"))), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
  }
}
