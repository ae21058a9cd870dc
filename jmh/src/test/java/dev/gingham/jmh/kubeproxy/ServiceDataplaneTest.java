package dev.gingham.jmh.kubeproxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every model of the kube-proxy comparison must do alike: send a connection to one of its
 * service's own endpoints on the target port, spread connections over all endpoints, answer
 * NO_SERVICE for anything that is not a service, and follow adds and removes.
 */
class ServiceDataplaneTest {
    private final ModelFixture fixture = new ModelFixture();
    private ServiceDataplane model;

    static List<String> impls() {
        return ServiceDataplanes.ALL;
    }

    @AfterEach
    void tearDown() {
        if (model != null) {
            model.close();
        }
        fixture.close();
    }

    @ParameterizedTest
    @MethodSource("impls")
    void shouldSendEveryConnectionToAnEndpointOfItsOwnServiceWhenManyServicesExist(String impl) {
        model = ServiceDataplanes.create(impl, 300);
        model.load(300);
        for (int k = 0; k < 3000; k++) {
            int s = (k * 7919) % 300;
            long backend = fixture.askService(model, s, k);
            assertTrue(ServiceCatalog.endpointIndex(s, ServiceDataplane.backendAddress(backend)) >= 0,
                    impl + ": connection " + k + " to service " + s + " went to " + Long.toHexString(backend));
            assertEquals(ServiceCatalog.TARGET_PORT, ServiceDataplane.backendPort(backend));
        }
        assertEquals(300, model.services());
    }

    @ParameterizedTest
    @MethodSource("impls")
    void shouldSpreadConnectionsOverEveryEndpointWhenManyClientsConnect(String impl) {
        model = ServiceDataplanes.create(impl, 3);
        model.load(3);
        int[] hits = new int[ServiceCatalog.BACKENDS];
        int connections = 20_000;
        for (int k = 0; k < connections; k++) {
            long backend = fixture.askService(model, 1, k);
            hits[ServiceCatalog.endpointIndex(1, ServiceDataplane.backendAddress(backend))]++;
        }
        for (int e = 0; e < hits.length; e++) {
            // 2,000 expected per endpoint; random choices stay well within ±15% at this count
            assertTrue(hits[e] > 1700 && hits[e] < 2300, impl + ": endpoint " + e + " got " + hits[e] + " of " + connections);
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void shouldAnswerNoServiceWhenTheDestinationIsNotAServicePort(String impl) {
        model = ServiceDataplanes.create(impl, 10);
        model.load(10);
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.ask(model, ServiceCatalog.client(1), 40_000, ServiceCatalog.vip(3), 443));
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.ask(model, ServiceCatalog.client(1), 40_000, ServiceCatalog.vip(10), 80));
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.ask(model, ServiceCatalog.client(1), 40_000, 0x0A0A_0A0A, 80));
    }

    @ParameterizedTest
    @MethodSource("impls")
    void shouldFollowAddAndRemoveWhenAServiceChanges(String impl) {
        model = ServiceDataplanes.create(impl, 6);
        model.load(5);
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.askService(model, 5, 1));
        model.addService(5);
        assertEquals(6, model.services());
        assertTrue(ServiceCatalog.endpointIndex(5, ServiceDataplane.backendAddress(fixture.askService(model, 5, 1))) >= 0);
        assertTrue(model.removeService(2));
        assertFalse(model.removeService(2), impl + ": a second remove must report the service absent");
        assertEquals(ServiceDataplane.NO_SERVICE, fixture.askService(model, 2, 1));
        assertTrue(ServiceCatalog.endpointIndex(4, ServiceDataplane.backendAddress(fixture.askService(model, 4, 1))) >= 0,
                impl + ": removing service 2 must leave service 4 working");
        assertEquals(5, model.services());
    }
}
