package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: a code-only release behind the compose stack's Caddy is deployed start-first, and requests at 20 Hz
 * through the proxy see no failure, whether the new image passes its gate or never does.
 */
class StartFirstDeployFailsNoRequestIT extends OneOdooScenario {
  private static final String ALIAS = "it-sfirst-odoo";
  private ProxyLoad proxy;

  @BeforeEach
  void up() throws IOException {
    // v2 runs; v3 and never-healthy carry v2's modules, so deploying them upgrades nothing
    odoo = new OdooFixture("it-sfirst", "it_sfirst", 18430, false).behindProxy(ALIAS).fresh("v2").start("v2");
    proxy = new ProxyLoad("it-sfproxy", ALIAS);
    agent = new AgentProcess("sfirst", odoo, 19430, 19440).start();
  }

  @AfterEach
  void proxyDown() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** The deploy's journal lines, as "step/state". */
  private List<String> steps(String deployId) {
    return agent.journal().stream().filter(l -> deployId.equals(l.getString("deploy_id")))
        .map(l -> l.getString("step") + "/" + l.getString("state")).toList();
  }

  @Test
  void aCodeOnlyDeployFailsNoRequestAndCommits() throws Exception {
    String oldId = odoo.id();
    proxy.start();
    String id = agent.deploy(new JsonObject().put("tag", "v3"));
    JsonObject d = agent.awaitVerdict(id, Duration.ofSeconds(120));
    JsonObject load = proxy.stop();

    assertEquals("success", d.getString("outcome"), d.encodePrettily() + "\n" + agent.log());
    assertEquals("start-first", d.getString("strategy"));
    assertEquals(0, load.getInteger("failed"), "requests through the proxy that failed during the deploy: " + load.encodePrettily());
    assertTrue(load.getInteger("sent") >= 20 * 5, "the load ran through the deploy: " + load.encodePrettily());
    List<String> s = steps(id);
    assertTrue(s.indexOf("await healthy beside/done") < s.indexOf("swap/started"), "the old one stops only after the gate: " + s);
    assertTrue(!s.contains("stop old/started"), s.toString());

    assertEquals(TestBed.digest("v3"), odoo.runningDigest());
    assertNotEquals(oldId, odoo.id());
    assertEquals(List.of(odoo.name), odoo.containers(), "the old container is removed, the temporary name is gone");
    assertEquals("", docker("port", odoo.name).strip(), "the new container publishes no host port either");
    assertEquals("[" + ALIAS + "]", docker("inspect", "--format",
        "{{json (index .NetworkSettings.Networks \"" + TestBed.env("DOCKER_NETWORK") + "\").Aliases}}", odoo.name).strip()
        .replaceAll("\"", "").replaceAll(",?[0-9a-f]{12}", ""), "the new container answers to the alias the proxy dials");
  }

  @Test
  void aNeverHealthyImageFailsNoRequestAndTheOldContainerServesThroughout() throws Exception {
    String oldId = odoo.id();
    String startedAt = docker("inspect", "--format", "{{.State.StartedAt}}", odoo.name).strip();
    proxy.start();
    String id = agent.deploy(new JsonObject().put("tag", "never-healthy"));
    JsonObject d = agent.awaitVerdict(id, Duration.ofSeconds(120));
    JsonObject load = proxy.stop();

    assertEquals("rolled_back", d.getString("outcome"), d.encodePrettily() + "\n" + agent.log());
    assertEquals("start-first", d.getString("strategy"));
    assertTrue(d.getString("reason").contains("the old container kept serving"), d.getString("reason"));
    assertEquals(0, load.getInteger("failed"), "requests through the proxy that failed during the deploy: " + load.encodePrettily());
    assertTrue(load.getInteger("sent") >= 20 * 15, "the load ran through the 20 s gate: " + load.encodePrettily());
    assertEquals(oldId, odoo.id(), "the same container serves");
    assertEquals(startedAt, docker("inspect", "--format", "{{.State.StartedAt}}", odoo.name).strip(), "and it never stopped");
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
    assertEquals(List.of(odoo.name), odoo.containers(), "the new container is removed");
  }
}
