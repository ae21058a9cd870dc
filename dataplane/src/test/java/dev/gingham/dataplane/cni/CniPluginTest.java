package dev.gingham.dataplane.cni;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin as a runtime sees it (environment, stdin, stdout, exit status) against a fake daemon:
 * the result and error JSON shapes of CNI spec 1.0.0, and what the plugin sends the daemon.
 */
@Timeout(30)
class CniPluginTest {
    static final String ATTACHED = """
            {"pod": "shop/web-1", "ifname": "eth0", "mac": "0a:58:0a:f4:01:02", "sandbox": "/var/run/netns/cni-1", "mtuBytes": 1450,
             "ips": [{"address": "10.244.1.2/32", "gateway": "10.244.1.1"}],
             "routes": [{"dst": "0.0.0.0/0", "gw": "10.244.1.1"}]}""";
    @TempDir
    Path dir;
    private FakeDaemon daemon;

    /** What one plugin run printed and returned. */
    record Run(int exit, JsonNode stdout, String text) {
    }

    @BeforeEach
    void setUp() throws Exception {
        daemon = new FakeDaemon(dir.resolve("api.sock"));
    }

    @AfterEach
    void tearDown() throws Exception {
        daemon.close();
    }

    private String config(String extra) {
        return "{\"cniVersion\": \"1.0.0\", \"name\": \"gingham\", \"type\": \"gingham-cni\", \"gingham\": {\"api\": \"unix:"
                + dir.resolve("api.sock") + "\", \"timeoutSeconds\": 5}" + extra + "}";
    }

    static Run run(Map<String, String> env, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = new CniPlugin().run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out);
        String text = out.toString(StandardCharsets.UTF_8);
        return new Run(exit, text.isBlank() ? null : NetworkConfig.JSON.readTree(text), text);
    }

    @Test
    void shouldPrintASpecResultWhenTheDaemonAttached() {
        daemon.answer(200, ATTACHED);

        Run r = run(CniEnvironmentTest.env("ADD"), config(", \"dns\": {\"nameservers\": [\"10.96.0.10\"]}"));

        assertEquals(0, r.exit(), r.text());
        JsonNode result = r.stdout();
        assertEquals("1.0.0", result.get("cniVersion").asString());
        JsonNode itf = result.get("interfaces").get(0);
        assertEquals("eth0", itf.get("name").asString());
        assertEquals("0a:58:0a:f4:01:02", itf.get("mac").asString());
        assertEquals("/var/run/netns/cni-1", itf.get("sandbox").asString());
        JsonNode ip = result.get("ips").get(0);
        assertEquals("10.244.1.2/32", ip.get("address").asString());
        assertEquals("10.244.1.1", ip.get("gateway").asString());
        assertEquals(0, ip.get("interface").asInt(), "the index of the sandbox interface in interfaces");
        assertFalse(ip.has("version"), "1.0.0 results carry no ips[].version");
        assertEquals("0.0.0.0/0", result.get("routes").get(0).get("dst").asString());
        assertEquals("10.96.0.10", result.get("dns").get("nameservers").get(0).asString());
        FakeDaemon.Received sent = daemon.received().getFirst();
        assertEquals("POST /v1/cni/add HTTP/1.1", sent.requestLine());
        assertEquals(new CniWire.Request("0123abcd-x_y.z", "eth0", "/var/run/netns/cni-1", "shop", "web-1"),
                NetworkConfig.JSON.readValue(sent.body(), CniWire.Request.class));
    }

    @Test
    void shouldPassTheDaemonsErrorCodeOnWithANonZeroExit() {
        daemon.answer(404, "{\"code\": 3, \"msg\": \"the network namespace /x does not exist\", \"details\": \"CNI_NETNS\"}");

        Run r = run(CniEnvironmentTest.env("ADD"), config(""));

        assertEquals(1, r.exit());
        assertEquals(3, r.stdout().get("code").asInt());
        assertEquals("the network namespace /x does not exist", r.stdout().get("msg").asString());
        assertEquals("CNI_NETNS", r.stdout().get("details").asString());
        assertEquals("1.0.0", r.stdout().get("cniVersion").asString());
    }

    @Test
    void shouldPrintNothingAndExitZeroOnDel() {
        Run r = run(CniEnvironmentTest.env("DEL"), config(""));

        assertEquals(0, r.exit(), r.text());
        assertEquals("", r.text());
        assertEquals("POST /v1/cni/del HTTP/1.1", daemon.received().getFirst().requestLine());
    }

    @Test
    void shouldPassCheckWhenPrevResultMatchesAndFailWith101WhenAnAddressDiffers() {
        daemon.answer(200, ATTACHED);
        String prev = ", \"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\", \"mac\": \"0a:58:0a:f4:01:02\","
                + " \"sandbox\": \"/var/run/netns/cni-1\"}], \"ips\": [{\"address\": \"%s\", \"interface\": 0}]}";

        Run ok = run(CniEnvironmentTest.env("CHECK"), config(prev.formatted("10.244.1.2/32")));
        Run differs = run(CniEnvironmentTest.env("CHECK"), config(prev.formatted("10.244.1.9/32")));

        assertEquals(0, ok.exit(), ok.text());
        assertEquals("", ok.text());
        assertEquals(1, differs.exit());
        assertEquals(CniError.CHECK_FAILED, differs.stdout().get("code").asInt());
        assertTrue(differs.stdout().get("msg").asString().contains("10.244.1.9/32"), differs.text());
    }

    @Test
    void shouldAnswerCode7WhenCheckHasNoPrevResult() {
        Run r = run(CniEnvironmentTest.env("CHECK"), config(""));

        assertEquals(CniError.INVALID_NETWORK_CONFIG, r.stdout().get("code").asInt());
        assertTrue(daemon.received().isEmpty(), "nothing asked of the daemon");
    }

    @Test
    void shouldListSupportedVersionsOnVersion() {
        Run r = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\": \"1.0.0\"}");

        assertEquals(0, r.exit());
        assertEquals("1.0.0", r.stdout().get("cniVersion").asString());
        assertEquals("[\"1.0.0\"]", r.stdout().get("supportedVersions").toString());
    }

    @Test
    void shouldAnswerTheSpecsCodesForBadInput() {
        assertEquals(6, run(CniEnvironmentTest.env("ADD"), "not json").stdout().get("code").asInt());
        assertEquals(4, run(CniEnvironmentTest.env("FROB"), config("")).stdout().get("code").asInt());
        Run unsupported = run(CniEnvironmentTest.env("ADD"), config("").replace("1.0.0", "0.3.1"));
        assertEquals(1, unsupported.stdout().get("code").asInt());
        assertEquals("1.0.0", unsupported.stdout().get("cniVersion").asString(),
                "an error about an unsupported version is written in the version the plugin speaks");
        assertTrue(daemon.received().isEmpty(), "nothing asked of the daemon");
    }

    @Test
    void shouldAnswerTryAgainLaterWhenNoDaemonListens() throws Exception {
        daemon.close();
        java.nio.file.Files.deleteIfExists(dir.resolve("api.sock"));

        Run r = run(CniEnvironmentTest.env("ADD"), config(""));

        assertEquals(1, r.exit());
        assertEquals(CniError.TRY_AGAIN_LATER, r.stdout().get("code").asInt());
        assertTrue(r.stdout().get("msg").asString().contains("api.sock"), r.text());
    }
}
