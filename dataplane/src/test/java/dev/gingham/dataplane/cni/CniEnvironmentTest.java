package dev.gingham.dataplane.cni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CniEnvironmentTest {
    static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "0123abcd-x_y.z");
        env.put("CNI_NETNS", "/var/run/netns/cni-1");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    @Test
    void shouldReadEveryVariableAndThePodFromCniArgs() {
        CniEnvironment e = CniEnvironment.parse(env("ADD"));

        assertEquals(new CniWire.Request("0123abcd-x_y.z", "eth0", "/var/run/netns/cni-1", "shop", "web-1"), e.request());
        assertEquals("/opt/cni/bin", e.path());
        assertEquals("1", e.args().get("IgnoreUnknown"));
    }

    @Test
    void shouldAcceptADelWithoutANetns() {
        Map<String, String> env = env("DEL");
        env.remove("CNI_NETNS");

        assertEquals("", CniEnvironment.parse(env).netns());
    }

    @Test
    void shouldAnswerCode4NamingCniNetnsWhenAnAddHasNone() {
        Map<String, String> env = env("ADD");
        env.remove("CNI_NETNS");

        CniError e = assertThrows(CniError.class, () -> CniEnvironment.parse(env));
        assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
        assertEquals("CNI_NETNS", e.details());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ATTACH", "add"})
    void shouldAnswerCode4WhenTheCommandIsMissingOrUnknown(String command) {
        CniError e = assertThrows(CniError.class, () -> CniEnvironment.parse(env(command)));

        assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
        assertEquals("CNI_COMMAND", e.details());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "eth0:1", "a/b", "has space", "sixteen-chars-xx"})
    void shouldRefuseAnInterfaceNameLinuxWouldNot(String ifname) {
        Map<String, String> env = env("ADD");
        env.put("CNI_IFNAME", ifname);

        CniError e = assertThrows(CniError.class, () -> CniEnvironment.parse(env));
        assertEquals("CNI_IFNAME", e.details());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-abc", "a b", "x/y"})
    void shouldRefuseAContainerIdTheSpecDoesNotAllow(String id) {
        Map<String, String> env = env("ADD");
        env.put("CNI_CONTAINERID", id);

        CniError e = assertThrows(CniError.class, () -> CniEnvironment.parse(env));
        assertEquals("CNI_CONTAINERID", e.details());
        assertTrue(e.getMessage().startsWith("invalid environment: CNI_CONTAINERID"), e.getMessage());
    }

    @Test
    void shouldRefuseCniArgsThatAreNotKeyValuePairs() {
        Map<String, String> env = env("ADD");
        env.put("CNI_ARGS", "K8S_POD_NAME");

        assertEquals("CNI_ARGS", assertThrows(CniError.class, () -> CniEnvironment.parse(env)).details());
    }
}
