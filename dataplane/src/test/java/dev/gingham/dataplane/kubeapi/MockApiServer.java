package dev.gingham.dataplane.kubeapi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's mock API server in CRUD mode (objects created through it are listed and watched as
 * on a real API server) on a loopback port that survives {@link #restart()}, with a client for the
 * test to write objects with (the source under test gets a client of its own, as the daemon has).
 */
final class MockApiServer implements AutoCloseable {
    private static final String GONE = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
            "message":"too old resource version","reason":"Expired","code":410}""";
    private static final String UNAVAILABLE = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
            "message":"starting","reason":"ServiceUnavailable","code":503}""";
    private static final String REFUSED = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"refused by the test",\
            "reason":"%s","code":%d}""";

    private final AtomicInteger goneAnswers = new AtomicInteger();
    private ForgetfulDispatcher dispatcher = new ForgetfulDispatcher(goneAnswers);
    private KubernetesMockServer server;
    private KubernetesClient writer;
    private final int port;

    MockApiServer() {
        server = started(0);
        port = server.getPort();
        writer = server.createClient();
    }

    private KubernetesMockServer started(int onPort) {
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        s.init(InetAddress.getLoopbackAddress(), onPort);
        return s;
    }

    /** Returns: a new client of this server (the source under test owns and closes it). */
    KubernetesClient newClient() {
        return server.createClient();
    }

    /** Creates the object of a YAML manifest, or replaces it when it exists. */
    void apply(String yaml) {
        writer.resource(yaml).createOr(NonDeletingOperation::update);
    }

    /** Creates an object of a custom resource the client has no model class for (the CRD is named in full). */
    void applyGeneric(ResourceDefinitionContext crd, String yaml) {
        writer.genericKubernetesResources(crd).resource(writer.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class))
                .create();
    }

    /** Deletes the object of a YAML manifest. */
    void delete(String yaml) {
        writer.resource(yaml).delete();
    }

    /**
     * Stops the server (every watch connection drops) and starts one on the same port holding
     * only {@code objects}, as an API server restarted without the history of its
     * resourceVersions: objects the clients knew may be gone, and no watch event will say so.
     * Reads are answered 503 until the objects are in (the mock sends a watch only the events
     * after it started, whatever version it names, so a client listing the half-filled server
     * would miss the rest; a real server replays them).
     */
    void restart(String... objects) {
        writer.close();
        destroy(server);
        dispatcher = new ForgetfulDispatcher(goneAnswers);
        dispatcher.serving = false;
        server = started(port);
        writer = server.createClient();
        for (String yaml : objects) {
            apply(yaml);
        }
        dispatcher.serving = true;
    }

    /**
     * Answers every read of a collection with {@code code}: 403 (the daemon's role does not allow
     * it) or 404 (the server does not serve the kind: a CRD that is not installed).
     *
     * @param collection the collection's path, e.g. {@code /api/v1/pods}
     */
    void refuse(String collection, int code) {
        dispatcher.refused.put(collection, code);
    }

    /** Returns: watches answered 410 Gone (a resourceVersion of an earlier incarnation of the server). */
    int goneAnswers() {
        return goneAnswers.get();
    }

    /** Returns: the server's URL (the clients' master URL). */
    String url() {
        return writer.getConfiguration().getMasterUrl();
    }

    /**
     * The CRUD dispatcher, answering as a real API server does a watch from a resourceVersion it
     * does not have: 410 Gone ("too old resource version"), after which a client must list again.
     * The mock itself accepts any resourceVersion and then sends only later events, so without
     * this a client that watched an earlier incarnation of the server would resume, miss every
     * change made in between, and no test could tell whether the client ever lists again. Here a
     * watch on a collection this incarnation has not listed yet names such a version.
     */
    private static final class ForgetfulDispatcher extends KubernetesCrudDispatcher {
        private final Set<String> listed = ConcurrentHashMap.newKeySet();
        private final Map<String, Integer> refused = new ConcurrentHashMap<>();
        private final AtomicInteger goneAnswers;
        volatile boolean serving = true;

        ForgetfulDispatcher(AtomicInteger goneAnswers) {
            this.goneAnswers = goneAnswers;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            int query = path.indexOf('?');
            String collection = query < 0 ? path : path.substring(0, query);
            boolean watch = query >= 0 && path.substring(query).contains("watch=true");
            if ("GET".equals(request.getMethod())) {
                if (!serving) {
                    return new MockResponse().setResponseCode(503).setBody(UNAVAILABLE);
                }
                Integer code = refused.get(collection);
                if (code != null) {
                    return new MockResponse().setResponseCode(code).setBody(REFUSED.formatted(code == 403 ? "Forbidden" : "NotFound", code));
                }
                if (!watch) {
                    listed.add(collection);
                } else if (!listed.contains(collection)) {
                    goneAnswers.incrementAndGet();
                    return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                        @Override
                        public void onOpen(WebSocket socket, Response response) {
                            socket.send("{\"type\":\"ERROR\",\"object\":" + GONE + "}");
                            socket.close(1000, "");
                        }
                    });
                }
            }
            return super.dispatch(request);
        }
    }

    @Override
    public void close() {
        writer.close();
        destroy(server);
    }

    /**
     * Stops a server. Its shutdown waits 10 s for open connections and then throws; on a loaded
     * machine that is a slow teardown, not a result, and the port is closed either way.
     */
    private static void destroy(KubernetesMockServer s) {
        try {
            s.destroy();
        } catch (IllegalStateException slowShutdown) {
            // see above
        }
    }
}
