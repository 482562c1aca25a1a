package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 3: health-gated upgrades with automatic rollback of image, database and filestore, on the real test bed. Each
 * scenario has a container, database and ports of its own, so they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class DeployIT extends OneOdooScenario {
  /** This scenario's stand-in Odoo, {@code it-dep-NAME} on port 18040 + slot. */
  private OdooFixture fixture(String name, int slot, boolean hostNetwork) {
    odoo = new OdooFixture("it-dep-" + name, "it_dep_" + name.replace('-', '_'), 18040 + slot, hostNetwork);
    return odoo;
  }

  /** The agent for the fixture: host_id as the container's name, admin and webhook ports 19040 and 19050 + slot. */
  private AgentProcess agentFor(OdooFixture fixture) throws IOException {
    int slot = fixture.port - 18040;
    agent = new AgentProcess(fixture.name.substring("it-".length()), fixture, 19040 + slot, 19050 + slot);
    return agent;
  }

  /** A series of this scenario's agent, whose host label is its container's name. */
  private double metric(String name, String labels) {
    return agent.metric(name + "{host=\"" + odoo.name + "\"," + labels + "}");
  }

  /** What an operator configured on a container, as docker inspect shows it: everything but the image and derived fields. */
  static JsonObject operatorConfig(String container, String shortId) {
    JsonObject i = new JsonArray(docker("inspect", container)).getJsonObject(0);
    JsonObject cfg = i.getJsonObject("Config");
    JsonObject labels = cfg.getJsonObject("Labels").copy();
    // the image's labels change with it; the agent's own mark (odoo-agent.*) is what it adds to a container it makes
    labels.fieldNames().removeIf(k -> k.startsWith("org.opencontainers.image.") || k.equals("odoo.modules") || k.startsWith("odoo-agent."));
    JsonObject nets = new JsonObject();
    i.getJsonObject("NetworkSettings").getJsonObject("Networks").forEach(e -> {
      JsonArray aliases = new JsonArray();
      JsonArray a = ((JsonObject) e.getValue()).getJsonArray("Aliases");
      if (a != null) {
        a.forEach(x -> {
          if (!String.valueOf(x).equals(shortId)) {
            aliases.add(x);
          }
        });
      }
      nets.put(e.getKey(), aliases);
    });
    // the engine lists mounts in no fixed order
    java.util.TreeMap<String, JsonObject> byDestination = new java.util.TreeMap<>();
    i.getJsonArray("Mounts").forEach(m -> {
      JsonObject mo = (JsonObject) m;
      if (!"volume".equals(mo.getString("Type")) || !mo.getString("Name", "").matches("[0-9a-f]{64}")) {
        byDestination.put(mo.getString("Destination"), new JsonObject().put("Type", mo.getString("Type")).put("Name", mo.getString("Name"))
            .put("Source", mo.getString("Source")).put("Destination", mo.getString("Destination")).put("RW", mo.getBoolean("RW")));
      }
    });
    JsonArray mounts = new JsonArray(new java.util.ArrayList<>(byDestination.values()));
    return new JsonObject().put("Name", i.getString("Name")).put("HostConfig", i.getJsonObject("HostConfig"))
        .put("Env", cfg.getJsonArray("Env")).put("Cmd", cfg.getJsonArray("Cmd")).put("Entrypoint", cfg.getJsonArray("Entrypoint"))
        .put("User", cfg.getString("User")).put("ExposedPorts", cfg.getJsonObject("ExposedPorts"))
        .put("Healthcheck", cfg.getJsonObject("Healthcheck")).put("Labels", labels).put("Networks", nets).put("Mounts", mounts);
  }

  private void assertNothingLeaks() {
    assertEquals(List.of(odoo.name), odoo.containers(), "only the service container is left");
    assertEquals(List.of(), odoo.copies(), "no safety copy is left");
    assertEquals("", docker("ps", "-aq", "--filter", "label=odoo-agent.role", "--filter", "name=" + odoo.namePattern()).strip(),
        "no one-shot container is left");
  }

  @ParameterizedTest(name = "host network: {0}")
  @ValueSource(booleans = {false, true})
  void v1ToV2UpgradesTheChangedModuleAndKeepsTheContainerConfig(boolean hostNetwork) throws IOException {
    fixture(hostNetwork ? "host" : "bridge", hostNetwork ? 1 : 0, hostNetwork).fresh("v1").start("v1");
    String oldId = docker("inspect", "--format", "{{.Id}}", odoo.name).strip();
    JsonObject before = operatorConfig(odoo.name, oldId.substring(0, 12));
    agentFor(odoo).start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(90));

    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals(new JsonArray().add("ipai_core"), d.getJsonArray("modules"), "only the module whose version changed");
    assertEquals(OdooFixture.V2_MODULES, odoo.customModules());
    assertEquals(d.getJsonObject("to").getString("digest"), odoo.runningDigest());
    String newId = docker("inspect", "--format", "{{.Id}}", odoo.name).strip();
    assertFalse(newId.equals(oldId));
    assertEquals(before, operatorConfig(odoo.name, newId.substring(0, 12)), "the new container has the old one's config");
    assertEquals(d.getString("id"), docker("inspect", "--format", "{{index .Config.Labels \"odoo-agent.deploy\"}}", odoo.name).strip(),
        "and the agent's mark, so that only this agent's recovery may ever remove it");
    JsonObject status = agent.status();
    assertEquals("v2", status.getJsonObject("current").getString("tag"));
    assertEquals(odoo.startedDigest, status.getJsonObject("previous").getString("digest"));
    assertEquals("success", status.getJsonObject("last_deploy").getString("outcome"));
    assertEquals("success", agent.history().getJsonObject(0).getString("outcome"));
    assertEquals(1.0, metric("odoo_agent_deployments_total", "outcome=\"success\""));
    assertNothingLeaks();
  }

  @Test
  void failedUpgradeRollsBackAndRestoresDatabaseAndFilestore() throws IOException {
    fixture("fails", 2, false).fresh("v2").start("v2");
    String schema = TestBed.schema(odoo.database);
    String rows = odoo.modules();
    List<String> files = odoo.filestore();
    agentFor(odoo).set("deploy.upgrade", "all").start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "upgrade-fails")), Duration.ofSeconds(90));

    assertEquals("rolled_back", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("module upgrade exited 1"), d.getString("reason"));
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v2 is serving again");
    assertEquals(schema, TestBed.schema(odoo.database), "schema restored");
    assertEquals(rows, odoo.modules(), "rows restored");
    assertEquals(files, odoo.filestore(), "filestore restored");
    assertEquals(1.0, metric("odoo_agent_rollbacks_total", "reason=\"upgrade_failed\""));
    assertEquals("rolled_back", agent.status().getJsonObject("last_deploy").getString("outcome"));
    assertTrue(agent.log().contains("rolling back (upgrade_failed)"));
    assertNothingLeaks();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"never-healthy", "crash-after-start", "flapping"})
  void unhealthyImageRollsBackAndRestoresDatabase(String variant) throws IOException {
    fixture(variant, 3 + List.of("never-healthy", "crash-after-start", "flapping").indexOf(variant), false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    List<String> files = odoo.filestore();
    // 14 passes 500 ms apart: the gate spans 7 s, longer than crash-after-start's 5 s.
    agentFor(odoo).set("deploy.healthy_threshold", "14").set("deploy.health_timeout", "15s").start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", variant)), Duration.ofSeconds(120));

    assertEquals("rolled_back", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").startsWith("new container failed its health gate"), d.getString("reason"));
    assertEquals(odoo.startedDigest, odoo.runningDigest());
    assertEquals(OdooFixture.V1_MODULES, odoo.customModules(), "the upgrade to ipai_core 18.0.1.1.0 was undone");
    assertEquals(schema, TestBed.schema(odoo.database));
    assertEquals(files, odoo.filestore());
    assertEquals(1.0, metric("odoo_agent_rollbacks_total", "reason=\"health_failed\""));
    TestBed.await("the observer to see the old container healthy", Duration.ofSeconds(10),
        () -> "pass".equals(agent.status().getString("health")));
    assertNothingLeaks();
  }

  @Test
  void slowStartWithinTheTimeoutCommits() throws IOException {
    fixture("slow", 6, false).fresh("v1").start("v1");
    agentFor(odoo).set("deploy.health_timeout", "60s").start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "slow-start")), Duration.ofSeconds(120));

    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals(d.getJsonObject("to").getString("digest"), odoo.runningDigest());
    assertNothingLeaks();
  }

  @Test
  void hangingUpgradeIsKilledAtTheTimeoutAndRolledBack() throws IOException {
    fixture("hangs", 7, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    agentFor(odoo).set("deploy.upgrade_timeout", "8s").start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "upgrade-hangs")), Duration.ofSeconds(90));

    assertEquals("rolled_back", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("did not finish within deploy.upgrade_timeout"), d.getString("reason"));
    assertEquals(odoo.startedDigest, odoo.runningDigest());
    assertEquals(schema, TestBed.schema(odoo.database), "the half-applied upgrade was undone");
    assertNothingLeaks();
  }

  @Test
  void missingDatabaseIsRefusedBeforeAnythingIsStopped() throws IOException {
    fixture("nodb", 8, false).fresh("v1").start("v1");
    String before = docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", odoo.name).strip();
    agentFor(odoo).set("service.database", "it_dep_missing").start();

    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(60));

    assertEquals("failed", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("database it_dep_missing does not exist"), d.getString("reason"));
    assertEquals(before, docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", odoo.name).strip(),
        "the running container was not touched");
    assertFalse(TestBed.databaseExists("it_dep_missing"), "no empty database was created");
    assertEquals("idle", agent.status().getString("state"));
    assertNothingLeaks();
  }

  @Test
  void aBurstOfTenTriggersDeploysOnlyTheLast() throws Exception {
    fixture("burst", 9, false).fresh("v1").start("v1");
    Path secret = Files.createTempFile("gh", ".secret");
    Files.writeString(secret, "it-burst-secret");
    agentFor(odoo).set("deploy.coalesce_window", "5s").set("webhooks.github_secret_file", secret.toString())
        .set("webhooks.github_image", "ghcr.io/jgtolentino/odoo-ce").set("webhooks.rate_limit", "100").start();
    String template = Files.readString(Path.of(getClass().getResource("/github/package-published-container.json").toURI()));
    String fixtureTag = new JsonObject(template).getJsonObject("package").getJsonObject("package_version")
        .getJsonObject("container_metadata").getJsonObject("tag").getString("name");
    List<String> tags = List.of("never-healthy", "flapping", "v2", "never-healthy", "slow-start", "flapping",
        "never-healthy", "flapping", "never-healthy", "v2");
    long start = System.nanoTime();
    for (int i = 0; i < tags.size(); i++) {
      JsonObject payload = new JsonObject(template);
      JsonObject tag = payload.getJsonObject("package").getJsonObject("package_version").getJsonObject("container_metadata").getJsonObject("tag");
      tag.put("name", tags.get(i)).remove("digest");
      byte[] body = payload.encode().getBytes(StandardCharsets.UTF_8);
      Webhooks.Reply r = Webhooks.post(agent.hookPort, "/hooks/github", Webhooks.githubHeaders("package", "burst-" + start + "-" + i,
          Webhooks.githubSignature("it-burst-secret", body)), body);
      assertEquals(202, r.status(), "trigger " + i + " replacing fixture tag " + fixtureTag + ": " + r.body());
    }
    // the premise, with a second to spare: the whole burst falls within one settle window (10 posts took over 1 s on a
    // machine busy with other ITs, so the window is 5 s rather than the default 2 s)
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 4000, "the burst was sent within 4 s");

    TestBed.await("the burst's deploy to finish", Duration.ofSeconds(90), () ->
        agent.history().size() == 1 && !agent.status().getBoolean("deploy_in_progress"));
    JsonObject d = agent.history().getJsonObject(0);
    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals("v2", d.getJsonObject("to").getString("tag"), "the last trigger won");
    assertEquals(9.0, metric("odoo_agent_deployments_total", "outcome=\"skipped\""));
    assertEquals(Set.of("success"), Set.of(d.getString("outcome")));
    assertEquals(d.getJsonObject("to").getString("digest"), odoo.runningDigest());
  }
}
