package dev.odooagent.odoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.InspectFixtures;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpgradePlannerTest {
  private static JsonObject mod(String version, String hash) {
    return new JsonObject().put("version", version).put("hash", hash);
  }

  private static final JsonObject CURRENT = new JsonObject()
      .put("ipai_core", mod("18.0.1.0.0", "h-core"))
      .put("tbwa_brand", mod("18.0.1.0.0", "h-brand"));

  @Test
  void sameModulesMeanNothingToUpgrade() {
    assertEquals(List.of(), UpgradePlanner.changed(CURRENT, CURRENT.copy()));
  }

  @Test
  void aChangedVersionIsUpgraded() {
    JsonObject next = CURRENT.copy().put("ipai_core", mod("18.0.1.1.0", "h-core"));
    assertEquals(List.of("ipai_core"), UpgradePlanner.changed(CURRENT, next));
  }

  @Test
  void aChangedHashAloneIsUpgraded() {
    // a data file edited without bumping the manifest version still needs -u to load
    JsonObject next = CURRENT.copy().put("tbwa_brand", mod("18.0.1.0.0", "h-brand-2"));
    assertEquals(List.of("tbwa_brand"), UpgradePlanner.changed(CURRENT, next));
  }

  @Test
  void aNewModuleIsUpgradedAndTheResultIsSorted() {
    JsonObject next = CURRENT.copy().put("zz_new", mod("18.0.1.0.0", "h-new")).put("aa_new", mod("1.0", "h-aa"))
        .put("ipai_core", mod("18.0.2.0.0", "h-core"));
    assertEquals(List.of("aa_new", "ipai_core", "zz_new"), UpgradePlanner.changed(CURRENT, next));
  }

  @Test
  void aRemovedModuleIsIgnored() {
    JsonObject next = CURRENT.copy();
    next.remove("tbwa_brand");
    assertEquals(List.of(), UpgradePlanner.changed(CURRENT, next), "-u of a module that is gone would fail the upgrade");
  }

  @Test
  void versionOnlyEntriesCompareByVersion() {
    assertEquals(List.of("a"), UpgradePlanner.changed(new JsonObject().put("a", "1.0"), new JsonObject().put("a", "1.1")));
    assertEquals(List.of(), UpgradePlanner.changed(new JsonObject().put("a", "1.0"), new JsonObject().put("a", "1.0")));
  }

  @Test
  void readsTheModuleLabelOfARealImage() {
    ImageInfo v1 = InspectFixtures.image(InspectFixtures.json(InspectFixtures.IMAGE_V1));
    JsonObject mods = UpgradePlanner.modulesFromLabels(v1.labels());
    assertEquals(mod("18.0.1.0.0", "ceca4344a0cd2cfbad0d10bab9933f5518c89d99f235ffd78048d7616e6df9ee"), mods.getJsonObject("ipai_core"));
    assertEquals(2, mods.size());
  }

  @Test
  void anAbsentBlankOrUnreadableLabelIsNoLabel() {
    assertNull(UpgradePlanner.modulesFromLabels(null));
    assertNull(UpgradePlanner.modulesFromLabels(Map.of()));
    assertNull(UpgradePlanner.modulesFromLabels(Map.of("odoo.modules", " ")));
    assertNull(UpgradePlanner.modulesFromLabels(Map.of("odoo.modules", "{not json")));
    Map<String, String> withNull = new HashMap<>();
    withNull.put("odoo.modules", null);
    assertNull(UpgradePlanner.modulesFromLabels(withNull));
  }

  @Test
  void readsTheManifestLineAmongOtherOutput() {
    String out = "odoo-entrypoint: rendering /etc/odoo/odoo.conf\n"
        + "ODOO_AGENT_MANIFESTS {\"ipai_core\": {\"hash\": \"h1\", \"version\": \"18.0.1.0.0\"}}\n"
        + "bye\n";
    assertEquals(new JsonObject().put("ipai_core", mod("18.0.1.0.0", "h1")), UpgradePlanner.modulesFromOutput(out));
    assertEquals(new JsonObject(), UpgradePlanner.modulesFromOutput("ODOO_AGENT_MANIFESTS {}"));
  }

  @Test
  void outputWithoutTheManifestLineHasNoModules() {
    assertNull(UpgradePlanner.modulesFromOutput(""));
    assertNull(UpgradePlanner.modulesFromOutput("Traceback (most recent call last):\n  ...\nOSError: boom\n"));
    assertNull(UpgradePlanner.modulesFromOutput("  ODOO_AGENT_MANIFESTS {}"), "only a line that starts with the marker");
  }
}
