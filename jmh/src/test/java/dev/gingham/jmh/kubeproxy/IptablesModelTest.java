package dev.gingham.jmh.kubeproxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IptablesModelTest {
    private final ModelFixture fixture = new ModelFixture();
    private final IptablesModel model = new IptablesModel();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void shouldWriteKubeProxysChainsWhenLoaded() {
        model.load(100);
        // KUBE-SERVICES: 100 service rules, the NodePort rule, its end; KUBE-NODEPORTS' end;
        // per service: KUBE-SVC (masquerade rule, 10 endpoint rules, end) and 10 KUBE-SEP chains of 3
        assertEquals(100 + 2 + 1 + 100 * (12 + 30), model.ruleCount());
    }

    @Test
    void shouldStoreKubeProxysProbabilitiesAsIptablesDoesWhenBuildingAServiceChain() {
        // kube-proxy prints 1/n with ten decimals; iptables stores lround(2^31 * p)
        assertEquals(214_748_365, IptablesModel.probability(10));
        assertEquals(1_073_741_824, IptablesModel.probability(2));
        assertEquals(238_609_294, IptablesModel.probability(9));
    }

    @Test
    void shouldWalkOneServiceRulePerServiceBeforeTheMatchWhenTrafficGoesToALaterService() {
        model.load(50);
        fixture.askService(model, 30, 1);
        for (int rule = 0; rule <= 30; rule++) {
            assertEquals(rule == 30 ? 1 : 0, model.packets(rule), "KUBE-SERVICES rule " + rule + " counter");
        }
    }

    @Test
    void shouldMarkForMasqueradeWhenTheClientIsOutsideTheClusterCidr() {
        model.load(4);
        fixture.ask(model, 0xC0A8_0105, 40_000, ServiceCatalog.vip(2), ServiceCatalog.SERVICE_PORT); // 192.168.1.5
        assertEquals(IptablesModel.MASQ_MARK, model.lastMark());
        fixture.askService(model, 2, 9);
        assertEquals(0, model.lastMark(), "a pod inside 10.128.0.0/9 is not masqueraded");
    }

    @Test
    void shouldMarkForMasqueradeWhenAnEndpointReachesItselfThroughItsService() {
        model.load(1);
        int hairpins = 0;
        for (int k = 0; k < 200; k++) {
            long backend = fixture.ask(model, ServiceCatalog.backend(0, 3), 40_000 + k, ServiceCatalog.vip(0), ServiceCatalog.SERVICE_PORT);
            if (ServiceDataplane.backendAddress(backend) == ServiceCatalog.backend(0, 3)) {
                hairpins++;
                assertEquals(IptablesModel.MASQ_MARK, model.lastMark());
            } else {
                assertEquals(0, model.lastMark());
            }
        }
        assertTrue(hairpins > 0, "endpoint 3 should pick itself about one time in ten");
    }

    @Test
    void shouldRebuildWithoutTheServiceWhenOneIsRemoved() {
        model.load(10);
        model.removeService(0);
        assertEquals(9 + 3 + 9 * 42, model.ruleCount());
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.askService(model, 0, 1));
        // the first service rule is now service 1's
        fixture.askService(model, 1, 1);
        assertEquals(1, model.packets(0));
    }
}
