package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.cluster.ClusterSource;
import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.cluster.SetMailbox;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.ManifestKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The cluster state from a Kubernetes API server: one fabric8 informer per kind Gingham reads
 * (Nodes, Pods, Namespaces, Services, discovery.k8s.io/v1 EndpointSlices, networking.k8s.io/v1
 * NetworkPolicies, and cilium.io/v2 CiliumEgressGatewayPolicies when the API server serves that
 * CRD), each keeping a cache of every object of its kind.
 *
 * <p>Why whole snapshots rather than per-object deltas: every informer event only marks the
 * caches dirty; a thread of its own ("gingham-kubeapi", a {@link BurstDebouncer}) lets a burst of
 * events settle for the debounce (200 ms, as the directory watcher; at most {@code maxDelay} while
 * events keep coming, so steady churn cannot postpone a change forever), then builds ONE
 * {@link ManifestSet} from the caches ({@link ApiObjectFiles}: one pseudo-file per object) and
 * publishes it when its fingerprint changed. So an API server gets exactly the manifests
 * directory's validation and atomicity (a set with a bad object is rejected naming it, and the
 * previous state stays), and the incremental part is {@code ClusterApplier}'s diff against the set
 * in force.
 *
 * <p>Start: {@link #initial()} starts the informers and waits, bounded by {@code syncTimeout},
 * until each has listed its kind; an API server that does not answer, or refuses the daemon's
 * credentials (401/403), fails the start with one line naming the server, before any device
 * exists. Watch reconnects are fabric8's: a dropped watch is re-established from the last
 * resourceVersion, and when the server no longer has that version (410 Gone) the informer lists
 * again and reports the difference as events; the resync period replays the caches as update
 * events, a safety net that costs one fingerprint when nothing changed.
 */
public final class KubeApiSource implements ClusterSource {
    /** How long the first list of every kind may take. */
    public static final Duration DEFAULT_SYNC_TIMEOUT = Duration.ofSeconds(60);
    /** The informers' resync period (a replay of the caches, not a list). */
    public static final Duration DEFAULT_RESYNC_PERIOD = Duration.ofMinutes(5);
    /** The directory watcher's debounce, for the same reason: a burst of changes becomes one set. */
    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
    /** The longest a change waits while events keep arriving. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(2);
    private static final long SYNC_POLL_MS = 20;
    /** Cilium's CRD, cluster-scoped. */
    static final ResourceDefinitionContext EGRESS_GATEWAY_POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup("cilium.io").withVersion("v2").withKind(ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY.kind())
            .withPlural("ciliumegressgatewaypolicies").withNamespaced(false).build();

    /**
     * Timing of a source.
     *
     * @param debounce     quiet time after the last event before a set is built
     * @param maxDelay     longest wait after the first event of a burst
     * @param syncTimeout  bound of {@link #initial()}
     * @param resyncPeriod the informers' resync period (zero: none)
     */
    public record Settings(Duration debounce, Duration maxDelay, Duration syncTimeout, Duration resyncPeriod) {
        public Settings {
            Objects.requireNonNull(debounce);
            Objects.requireNonNull(maxDelay);
            Objects.requireNonNull(syncTimeout);
            Objects.requireNonNull(resyncPeriod);
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_DEBOUNCE, DEFAULT_MAX_DELAY, DEFAULT_SYNC_TIMEOUT, DEFAULT_RESYNC_PERIOD);
        }

        public Settings withSyncTimeout(Duration timeout) {
            return new Settings(debounce, maxDelay, timeout, resyncPeriod);
        }

        public Settings withResyncPeriod(Duration period) {
            return new Settings(debounce, maxDelay, syncTimeout, period);
        }
    }

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final Settings settings;
    private final DaemonLog log;
    private final String server;
    private final ApiObjectFiles objectFiles;
    private final SetMailbox mailbox = new SetMailbox(null);
    private final Map<ManifestKind, SharedIndexInformer<? extends HasMetadata>> informers = new EnumMap<>(ManifestKind.class);
    /** Kinds whose list failed for good (401/403, or 404 for a required kind), with the error. */
    private final Map<ManifestKind, String> fatal = new ConcurrentHashMap<>();
    /** The last error of each kind, for the timeout message. */
    private final Map<ManifestKind, String> lastErrors = new ConcurrentHashMap<>();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong builds = new AtomicLong();
    private final Object buildLock = new Object();
    private final BurstDebouncer debouncer;
    private volatile boolean closed;

    /**
     * A source on {@code client}.
     *
     * @param ownsClient close the client with the source
     */
    public KubeApiSource(KubernetesClient client, boolean ownsClient, Settings settings, DaemonLog log) {
        this.client = Objects.requireNonNull(client);
        this.ownsClient = ownsClient;
        this.settings = Objects.requireNonNull(settings);
        this.log = Objects.requireNonNull(log);
        this.server = String.valueOf(client.getConfiguration().getMasterUrl());
        this.objectFiles = new ApiObjectFiles(client.getKubernetesSerialization());
        this.debouncer = new BurstDebouncer("gingham-kubeapi", settings.debounce(), settings.maxDelay(), this::rebuildQuietly);
    }

    /**
     * A source on the cluster and credentials of a kubeconfig file (its current context).
     *
     * @throws IllegalStateException the file is missing or not a kubeconfig (one line naming it)
     */
    public static KubeApiSource connect(Path kubeconfig, Settings settings, DaemonLog log) {
        if (!Files.isRegularFile(kubeconfig)) {
            throw new IllegalStateException("kubeconfig " + kubeconfig + ": no such file");
        }
        Config config;
        try {
            config = Config.fromKubeconfig(kubeconfig.toFile());
        } catch (RuntimeException e) {
            throw new IllegalStateException("kubeconfig " + kubeconfig + ": cannot be read: " + oneLine(e), e);
        }
        if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
            throw new IllegalStateException("kubeconfig " + kubeconfig + ": the current context names no cluster server");
        }
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        return new KubeApiSource(client, true, settings, log);
    }

    /** Where Kubernetes mounts a pod's service account token (the in-cluster credentials). */
    static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    /**
     * A source on the cluster the daemon runs in as a pod (the DaemonSet): the API server from
     * {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, the credentials of the pod's service account.
     *
     * @throws IllegalStateException not in a pod (no service host variable or no token), one line saying which
     */
    public static KubeApiSource inCluster(Settings settings, DaemonLog log) {
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        if (host == null || host.isBlank()) {
            throw new IllegalStateException("--in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?); use --kubeconfig FILE");
        }
        if (!Files.isReadable(SERVICE_ACCOUNT_TOKEN)) {
            throw new IllegalStateException("--in-cluster: no service account token at " + SERVICE_ACCOUNT_TOKEN
                    + " (automountServiceAccountToken off?)");
        }
        Config config;
        try {
            config = Config.autoConfigure(null);
        } catch (RuntimeException e) {
            throw new IllegalStateException("--in-cluster: the pod's API credentials cannot be read: " + oneLine(e), e);
        }
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        return new KubeApiSource(client, true, settings, log);
    }

    /**
     * Starts the informers, waits until every kind is listed, and returns the set the caches hold.
     *
     * @throws IllegalStateException the API server did not answer within the sync timeout, or refused (names the server and kinds)
     * @throws ManifestException     an object is invalid (names it)
     */
    @Override
    public ManifestSet initial() {
        synchronized (this) {
            if (informers.isEmpty()) {
                try {
                    startInformers();
                } catch (KubernetesClientException e) {
                    throw new IllegalStateException("Kubernetes API " + server + ": " + oneLine(e), e);
                }
            }
        }
        awaitSync();
        synchronized (buildLock) {
            debouncer.clear();
            long startNs = System.nanoTime();
            Snapshot snapshot = snapshot();
            long snapshotNs = System.nanoTime();
            ManifestSet set = snapshot.read();
            long readNs = System.nanoTime();
            mailbox.accepted(set);
            builds.incrementAndGet();
            log.info("Kubernetes API " + server + ": " + set.objects().size() + " objects (" + counts() + "), snapshot "
                    + (snapshotNs - startNs) / 1_000_000 + " ms, read " + (readNs - snapshotNs) / 1_000_000 + " ms");
            return set;
        }
    }

    private void startInformers() {
        Handler handler = new Handler();
        long resyncMs = settings.resyncPeriod().toMillis();
        inform(ManifestKind.NAMESPACE, client.namespaces(), handler, resyncMs);
        inform(ManifestKind.NODE, client.nodes(), handler, resyncMs);
        inform(ManifestKind.POD, client.pods().inAnyNamespace(), handler, resyncMs);
        inform(ManifestKind.SERVICE, client.services().inAnyNamespace(), handler, resyncMs);
        inform(ManifestKind.ENDPOINT_SLICE, client.discovery().v1().endpointSlices().inAnyNamespace(), handler, resyncMs);
        inform(ManifestKind.NETWORK_POLICY, client.network().v1().networkPolicies().inAnyNamespace(), handler, resyncMs);
        // Named in full (plural, scope) rather than discovered: discovery throws at once when the
        // CRD is not installed, where a list answers 404 and the kind is simply left out.
        inform(ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY, client.genericKubernetesResources(EGRESS_GATEWAY_POLICIES), handler, resyncMs);
    }

    private <T extends HasMetadata> void inform(ManifestKind kind, Informable<T> resources, Handler handler, long resyncMs) {
        SharedIndexInformer<T> informer = resources.runnableInformer(resyncMs);
        informer.addEventHandler(handler);
        informer.exceptionHandler((started, error) -> retry(kind, started, error));
        informers.put(kind, informer);
        informer.start();
    }

    /** An informer's list or watch failed: go on retrying, except where retrying cannot help. */
    private boolean retry(ManifestKind kind, boolean started, Throwable error) {
        String message = oneLine(error);
        String before = lastErrors.put(kind, message);
        if (started && !message.equals(before)) {
            // once per distinct failure: fabric8 retries with a backoff, and its own log lines are not shown
            log.warn("Kubernetes API " + server + ": " + plural(kind) + ": " + message + " (retrying; the last state stays applied)");
        }
        int code = statusCode(error);
        if (!started && code == 404 && kind == ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY) {
            fatal.putIfAbsent(kind, "");
            return false; // the CRD is not installed: an optional kind
        }
        if (!started && (code == 401 || code == 403)) {
            fatal.putIfAbsent(kind, message + " (the daemon needs get, list and watch on it: see deploy/rbac.yaml)");
            return false;
        }
        if (!started && code == 404) {
            fatal.putIfAbsent(kind, message + " (the API server does not serve this kind)");
            return false;
        }
        return true;
    }

    private void awaitSync() {
        long deadlineNs = System.nanoTime() + settings.syncTimeout().toNanos();
        while (true) {
            List<String> waiting = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (Map.Entry<ManifestKind, SharedIndexInformer<? extends HasMetadata>> e : informers.entrySet()) {
                String failure = fatal.get(e.getKey());
                if (failure != null && !failure.isEmpty()) {
                    refused.add(plural(e.getKey()) + ": " + failure);
                } else if (failure == null && !e.getValue().hasSynced()) {
                    waiting.add(plural(e.getKey()) + lastError(e.getKey()));
                }
            }
            if (!refused.isEmpty()) {
                throw new IllegalStateException("Kubernetes API " + server + " cannot list " + String.join("; ", refused));
            }
            if (waiting.isEmpty()) {
                if (fatal.containsKey(ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY)) {
                    log.info("Kubernetes API " + server + ": " + ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY.kind()
                            + " is not served (CRD not installed): no egress gateway policies; install the CRD and restart to use them");
                }
                return;
            }
            if (System.nanoTime() - deadlineNs > 0) {
                throw new IllegalStateException("Kubernetes API " + server + ": not every kind listed within "
                        + settings.syncTimeout().toSeconds() + " s; still waiting for " + String.join(", ", waiting));
            }
            LockSupport.parkNanos(SYNC_POLL_MS * 1_000_000L);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the Kubernetes API " + server);
            }
        }
    }

    private String lastError(ManifestKind kind) {
        String error = lastErrors.get(kind);
        return error == null ? "" : " (last error: " + error + ")";
    }

    @Override
    public void start(Listener listener) {
        mailbox.listener(Objects.requireNonNull(listener));
        synchronized (this) {
            if (!closed) {
                debouncer.start();
            }
        }
    }

    @Override
    public ManifestSet poll() {
        return mailbox.poll();
    }

    @Override
    public String describe() {
        return "Kubernetes API " + server;
    }

    /**
     * Builds a set from the caches now, on this thread, and publishes it when its fingerprint
     * changed (or reports it once when it is invalid), as the source's thread does.
     *
     * @return true when a new set was published
     */
    public boolean rebuildNow() {
        synchronized (buildLock) {
            debouncer.clear();
            builds.incrementAndGet();
            long startNs = System.nanoTime();
            Snapshot snapshot = snapshot();
            if (mailbox.unchanged(snapshot.fingerprint())) {
                return false;
            }
            try {
                ManifestSet set = snapshot.read();
                log.debug("Kubernetes API " + server + ": new state, " + set.objects().size() + " objects, built in "
                        + (System.nanoTime() - startNs) / 1_000_000 + " ms");
                return mailbox.publish(set);
            } catch (ManifestException e) {
                return mailbox.reject(e, snapshot.fingerprint());
            }
        }
    }

    /** Returns: the caches as pseudo-files, not yet read (the fingerprint says whether reading is needed). */
    Snapshot snapshot() {
        synchronized (buildLock) {
            Map<String, String> files = new TreeMap<>();
            List<String> skipped = new ArrayList<>();
            objectFiles.begin();
            for (Map.Entry<ManifestKind, SharedIndexInformer<? extends HasMetadata>> e : informers.entrySet()) {
                if (fatal.containsKey(e.getKey())) {
                    continue;
                }
                for (HasMetadata object : e.getValue().getStore().list()) {
                    objectFiles.add(e.getKey(), object, files, skipped);
                }
            }
            objectFiles.finish();
            return new Snapshot(describe(), files, skipped, ManifestSet.fingerprint(files));
        }
    }

    /** The caches at one moment, as pseudo-files. */
    record Snapshot(String origin, Map<String, String> files, List<String> skipped, String fingerprint) {
        /** Returns: the checked set ({@link ManifestException} naming every bad object). */
        ManifestSet read() {
            return ManifestSet.of(origin, files, skipped);
        }
    }

    private String counts() {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<ManifestKind, SharedIndexInformer<? extends HasMetadata>> e : informers.entrySet()) {
            if (!fatal.containsKey(e.getKey())) {
                text.append(text.isEmpty() ? "" : ", ").append(e.getValue().getStore().list().size()).append(' ')
                        .append(plural(e.getKey()));
            }
        }
        return text.toString();
    }

    /** Returns: "Pods", "NetworkPolicies": the kind as a collection, for messages. */
    private static String plural(ManifestKind kind) {
        String k = kind.kind();
        return k.endsWith("y") ? k.substring(0, k.length() - 1) + "ies" : k + "s";
    }

    /** Returns: informer events seen (adds, updates including resync replays, deletes). */
    public long events() {
        return events.get();
    }

    /** Returns: sets built from the caches (initial, and every debounced burst, published or not). */
    public long builds() {
        return builds.get();
    }

    /** The debouncer's task: a source that throws must not stop; the next event builds again. */
    private void rebuildQuietly() {
        try {
            rebuildNow();
        } catch (RuntimeException e) {
            log.error("Kubernetes API " + server + ": building the cluster state failed: " + oneLine(e));
        }
    }

    private void changed() {
        events.incrementAndGet();
        debouncer.mark();
    }

    /** Every event of every informer only marks the caches dirty (called on fabric8's threads). */
    private final class Handler implements ResourceEventHandler<HasMetadata> {
        @Override
        public void onAdd(HasMetadata object) {
            changed();
        }

        @Override
        public void onUpdate(HasMetadata before, HasMetadata after) {
            changed();
        }

        @Override
        public void onDelete(HasMetadata object, boolean finalStateUnknown) {
            changed();
        }
    }

    /** Returns: the HTTP status of the API server's answer somewhere in the cause chain (informers wrap it), or 0. */
    private static int statusCode(Throwable error) {
        KubernetesClientException k = clientException(error);
        return k == null ? 0 : k.getCode();
    }

    private static KubernetesClientException clientException(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && (k.getCode() != 0 || t.getCause() == null)) {
                return k;
            }
        }
        return null;
    }

    /**
     * Returns: one line for a log or an error: the client's own message when it has one (without
     * the Status object it appends), else the message and its cause's.
     */
    private static String oneLine(Throwable error) {
        KubernetesClientException k = clientException(error);
        Throwable t = k != null ? k : error;
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int status = message.indexOf(". Received status: ");
        if (status > 0) {
            message = message.substring(0, status + 1);
        }
        Throwable cause = t.getCause();
        if (k == null && cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += ": " + cause.getMessage();
        }
        return message.replace('\n', ' ').strip();
    }

    /** Stops the thread, the informers and (when owned) the client; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        debouncer.close();
        for (SharedIndexInformer<? extends HasMetadata> informer : informers.values()) {
            informer.stop();
        }
        if (ownsClient) {
            client.close();
        }
    }
}
