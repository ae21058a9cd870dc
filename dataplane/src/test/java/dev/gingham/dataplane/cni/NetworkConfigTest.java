package dev.gingham.dataplane.cni;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkConfigTest {
    private static NetworkConfig parse(String json) {
        return NetworkConfig.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static CniError error(String json) {
        return assertThrows(CniError.class, () -> parse(json));
    }

    @Test
    void shouldReadOurFieldsAndKeepTheDnsObject() {
        NetworkConfig c = parse("""
                {"cniVersion": "1.0.0", "name": "gingham", "type": "gingham-cni", "ipam": {"type": "gingham"},
                 "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]},
                 "gingham": {"api": "unix:/run/gingham/api.sock", "timeoutSeconds": 5},
                 "runtimeConfig": {"portMappings": []}}""");

        assertEquals("gingham", c.name());
        assertEquals("/run/gingham/api.sock", c.api().unixSocket().toString());
        assertEquals(Duration.ofSeconds(5), c.timeout());
        assertEquals("10.96.0.10", c.dns().path("nameservers").get(0).asString());
        assertNull(c.prevResult());
    }

    @Test
    void shouldDefaultToTheDaemonsDefaultApiAndThirtySeconds() {
        NetworkConfig c = parse("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"gingham-cni\"}");

        assertEquals("127.0.0.1", c.api().host().toString());
        assertEquals(9890, c.api().port());
        assertEquals(Duration.ofSeconds(30), c.timeout());
    }

    @Test
    void shouldAnswerCode6WhenStdinIsNotJson() {
        assertEquals(CniError.DECODE_FAILURE, error("{\"cniVersion\": ").code());
        assertEquals(CniError.DECODE_FAILURE, error("[1, 2]").code());
    }

    @Test
    void shouldAnswerCode1WhenTheVersionIsNotSupported() {
        CniError e = error("{\"cniVersion\": \"0.4.0\", \"name\": \"n\", \"type\": \"gingham-cni\"}");

        assertEquals(CniError.INCOMPATIBLE_VERSION, e.code());
        assertTrue(e.getMessage().contains("0.4.0") && e.getMessage().contains("1.0.0"), e.getMessage());
    }

    @Test
    void shouldAnswerCode7NamingAMissingRequiredField() {
        CniError e = error("{\"cniVersion\": \"1.0.0\", \"type\": \"gingham-cni\"}");

        assertEquals(CniError.INVALID_NETWORK_CONFIG, e.code());
        assertEquals("name", e.details());
    }

    @Test
    void shouldAnswerCode2NamingKeyAndValueOfAnotherIpam() {
        CniError e = error("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"gingham-cni\", \"ipam\": {\"type\": \"host-local\"}}");

        assertEquals(CniError.UNSUPPORTED_FIELD, e.code());
        assertTrue(e.getMessage().contains("ipam.type=\"host-local\""), e.getMessage());
    }

    @Test
    void shouldAnswerCode2ForAnUnknownGinghamFieldAnd7ForANonLoopbackApi() {
        assertEquals(CniError.UNSUPPORTED_FIELD, error("""
                {"cniVersion": "1.0.0", "name": "n", "type": "t", "gingham": {"socket": "/x"}}""").code());
        CniError api = error("""
                {"cniVersion": "1.0.0", "name": "n", "type": "t", "gingham": {"api": "10.0.0.1:9890"}}""");
        assertEquals(CniError.INVALID_NETWORK_CONFIG, api.code());
        assertEquals("gingham.api", api.details());
    }
}
