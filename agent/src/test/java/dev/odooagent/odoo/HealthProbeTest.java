package dev.odooagent.odoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odooagent.docker.ContainerInfo;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a container is probed: health_url's alias form and the own-address form of a start-first gate. */
class HealthProbeTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  /** A container on two networks: odoo-testbed (alias odoo) and ut-extra (alias odoo-extra). */
  private static ContainerInfo container() {
    JsonObject nets = new JsonObject()
        .put("odoo-testbed", new JsonObject().put("IPAddress", "172.31.250.4").put("Aliases", new JsonArray().add("odoo").add("fb245647a136")))
        .put("ut-extra", new JsonObject().put("IPAddress", "172.18.0.2").put("Aliases", new JsonArray().add("odoo-extra")));
    return new ContainerInfo("fb245647a136ff", "odoo-ce", "img", "sha256:1", true, "running", 0, "A", Map.of(),
        new JsonObject().put("NetworkSettings", new JsonObject().put("Networks", nets)));
  }

  private URI at(String url, ContainerInfo c, boolean own) {
    return new HealthProbe(vertx, URI.create(url), Duration.ofSeconds(1)).at(c, own);
  }

  @Test
  void anAliasOrTheContainerNameAsHostIsTheContainersAddressOnThatNetwork() {
    assertEquals(URI.create("http://172.31.250.4:8069/web/health?db_server_status=1"),
        at("http://odoo:8069/web/health?db_server_status=1", container(), false));
    assertEquals(URI.create("http://172.18.0.2:8069/web/health"), at("http://odoo-extra:8069/web/health", container(), false));
    assertEquals(URI.create("http://172.31.250.4:8069/web/health"), at("http://odoo-ce:8069/web/health", container(), false));
  }

  @Test
  void anyOtherHostIsProbedAsConfiguredUnlessTheOwnAddressIsAsked() {
    assertEquals(URI.create("http://127.0.0.1:8069/web/health"), at("http://127.0.0.1:8069/web/health", container(), false));
    assertEquals(URI.create("http://172.31.250.4:8069/web/health"), at("http://127.0.0.1:8069/web/health", container(), true));
    assertEquals(URI.create("http://odoo:8069/web/health"), at("http://odoo:8069/web/health", null, true),
        "not inspected: the configured URL");
  }
}
