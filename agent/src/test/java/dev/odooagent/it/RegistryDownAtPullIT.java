package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The registry goes away while dockerd pulls the new image: it dies (the bed's registry is stopped and its port
 * refuses), or it stops answering. The pull runs through a relay that holds it at the registry, so it is surely in
 * flight. The deploy is refused with nothing changed, within deploy.pull_timeout; when the registry is back, the next
 * trigger deploys.
 */
class RegistryDownAtPullIT {
  OdooFixture odoo;
  AgentProcess agent;
  RegistryProxy registry;
  boolean registryStopped;

  @AfterEach
  void down() throws InterruptedException {
    if (registryStopped) {
      Faults.startRegistry();
    }
    if (agent != null) {
      agent.close();
    }
    if (registry != null) {
      registry.close();
      TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  private String startWithRelay(String name, int port, String... settings) throws Exception {
    odoo = new OdooFixture("it-" + name, "it_" + name, port, false).fresh("v1").start("v1");
    registry = new RegistryProxy(port - 3000, Integer.parseInt(TestBed.env("REGISTRY").replaceAll(".*:", "")), true);
    TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    agent = new AgentProcess(name, odoo, port + 1000, port + 1010).set("service.image", registry.image())
        .set("registry.url", "http://127.0.0.1:" + registry.port);
    for (int i = 0; i < settings.length; i += 2) {
      agent.set(settings[i], settings[i + 1]);
    }
    agent.start();
    return Faults.untouched(odoo);
  }

  private void assertNothingChanged(String id, String before, String schema, String reasonNames) {
    JsonObject d = Faults.assertConverged(agent, odoo, id, "failed", reasonNames);
    assertTrue(d.getString("reason").contains("nothing was changed"), d.getString("reason"));
    assertEquals(before, Faults.untouched(odoo), "the old container was not touched");
    assertEquals(schema, TestBed.schema(odoo.database), "the database was not touched");
  }

  private void nextTriggerDeploys() {
    JsonObject next = agent.awaitVerdict(agent.deploy(new JsonObject().put("digest", TestBed.digest("v2"))), Duration.ofMinutes(2));
    assertEquals("success", next.getString("outcome"), next.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
  }

  /** Exclusive: it stops the bed's registry, which every other IT pulls from, so it runs alone (agent/pom.xml). */
  @Test
  @Tag("exclusive")
  void registryThatDiesMidPullRefusesTheDeployAndTheNextTriggerDeploysWhenItIsBack() throws Exception {
    String before = startWithRelay("regdie", 18124);
    String schema = TestBed.schema(odoo.database);

    String id = agent.deploy(new JsonObject().put("digest", TestBed.digest("v2")));
    TestBed.await("dockerd's pull for deploy " + id + " to reach the registry", Duration.ofSeconds(60), () ->
        Faults.stepStarted(agent, id, "pull") && registry.held.get() > 0);
    Faults.stopRegistry();
    registryStopped = true;
    registry.die();
    agent.awaitVerdict(id, Duration.ofMinutes(2));

    assertNothingChanged(id, before, schema, "pull");
    Faults.startRegistry();
    registryStopped = false;
    registry.revive();
    nextTriggerDeploys();
  }

  @Test
  void registryThatStopsAnsweringIsAbandonedAtThePullTimeout() throws Exception {
    String before = startWithRelay("reghang", 18125, "deploy.pull_timeout", "15s");
    String schema = TestBed.schema(odoo.database);

    String id = agent.deploy(new JsonObject().put("digest", TestBed.digest("v2")));
    TestBed.await("dockerd's pull for deploy " + id + " to reach the registry", Duration.ofSeconds(60), () ->
        Faults.stepStarted(agent, id, "pull") && registry.held.get() > 0);
    Instant held = Instant.now();
    agent.awaitVerdict(id, Duration.ofMinutes(2));
    Duration took = Duration.between(held, Instant.now());

    assertTrue(took.compareTo(Duration.ofSeconds(45)) < 0, "refused soon after deploy.pull_timeout (15 s), not " + took.toSeconds() + " s");
    assertNothingChanged(id, before, schema, "deploy.pull_timeout");
    registry.relay();
    nextTriggerDeploys();
  }
}
