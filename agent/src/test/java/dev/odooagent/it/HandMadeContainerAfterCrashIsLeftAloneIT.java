package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ownership: the agent is killed mid-gate; the operator removes the failing container and starts the service by hand.
 * The restarted agent finds a container it did not make in the service's place, leaves it serving, says so, and
 * stands still until an operator acts.
 */
class HandMadeContainerAfterCrashIsLeftAloneIT extends OneOdooScenario {
  @Test
  void recoveryStandsStillBesideAContainerTheAgentDidNotMake() throws Exception {
    odoo = new OdooFixture("it-handmade", "it_handmade", 18073, false).fresh("v1").start("v1");
    agent = new AgentProcess("handmade", odoo, 19083, 19093).set("deploy.health_timeout", "120s").start();
    String id = agent.deploy(new JsonObject().put("tag", "never-healthy"));
    TestBed.await("the new container's gate", Duration.ofSeconds(90), () -> agent.journal().stream()
        .anyMatch(e -> "await healthy".equals(e.getString("step")) && "started".equals(e.getString("state"))));
    agent.kill9();

    // the operator's fix at 3 a.m.: drop the failing container and start the service again by hand
    docker("rm", "-f", odoo.name);
    odoo.start("v1");
    String handMade = docker("inspect", "--format", "{{.Id}}", odoo.name).strip();
    List<String> aside = odoo.containers().stream().filter(n -> !n.equals(odoo.name)).toList();
    assertEquals(1, aside.size(), "the old container is still aside: " + odoo.containers());

    agent.start();
    TestBed.await("the interrupted deploy's verdict", Duration.ofSeconds(60),
        () -> agent.history().stream().map(o -> (JsonObject) o).anyMatch(d -> id.equals(d.getString("id"))));
    JsonObject d = agent.history().getJsonObject(0);
    assertEquals("failed", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("container it-handmade (" + handMade.substring(0, 12) + ") was not made by the agent"),
        d.getString("reason"));

    assertEquals(handMade, docker("inspect", "--format", "{{.Id}}", odoo.name).strip(), "the hand-made container was not touched");
    assertEquals("true", docker("inspect", "--format", "{{.State.Running}}", odoo.name).strip(), "and it still serves");
    assertEquals(aside, odoo.containers().stream().filter(n -> !n.equals(odoo.name)).toList(), "the aside container is kept");
    JsonObject status = agent.status();
    assertEquals("failed", status.getString("state"));
    assertFalse(status.getBoolean("ready"));
    assertTrue(status.getJsonObject("failed").getString("action").contains("odoo-agent deploy TAG"), status.encode());
    TestBed.await("the readiness metric and the log line", Duration.ofSeconds(10),
        () -> agent.metric("odoo_agent_ready{host=\"it-handmade\"}") == 0.0);
    assertTrue(agent.log().contains("was not made by the agent, so it was left as it is"), "a clear log line");

    // the operator acts: deploying what runs adopts the hand-made container and lifts FAILED
    agent.deploy(new JsonObject().put("tag", "v1"));
    TestBed.await("FAILED to be lifted", Duration.ofSeconds(60),
        () -> "idle".equals(agent.status().getString("state")) && agent.status().getBoolean("ready"));
    assertEquals(handMade, docker("inspect", "--format", "{{.Id}}", odoo.name).strip(), "already running: nothing was replaced");
  }
}
