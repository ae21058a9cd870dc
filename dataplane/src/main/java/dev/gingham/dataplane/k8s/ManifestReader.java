package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.Problems;
import dev.gingham.dataplane.config.YamlDocuments;
import dev.gingham.dataplane.config.YamlField;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads one manifest file as users write them for kubectl: several documents separated by
 * {@code ---}, {@code kind: List} (what {@code kubectl get -o yaml} prints) with its items, YAML
 * or JSON. The kinds Gingham uses become records; every other kind is skipped with one warning
 * line, so a file holding a Deployment next to its Service and EndpointSlice reads as it is.
 *
 * <p>All or nothing per file: every bad document is reported (the first problem of each, since
 * the fields after a broken one only repeat it), and a file with any problem yields no objects.
 */
public final class ManifestReader {
    private final String file;
    private final List<ManifestObject> objects = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<ManifestException.Problem> problems = new ArrayList<>();

    /**
     * What a file held.
     *
     * @param objects  the objects of the kinds Gingham uses, in file order
     * @param warnings one line per skipped object ("deploy.yaml: document 1 (line 1): skipped Deployment default/web ...")
     */
    public record Result(List<ManifestObject> objects, List<String> warnings) {
        public Result {
            objects = List.copyOf(objects);
            warnings = List.copyOf(warnings);
        }
    }

    private ManifestReader(String file) {
        this.file = file;
    }

    /**
     * Reads every document of {@code text}.
     *
     * @param file how to name the file in messages (its name in the manifests directory)
     * @throws ManifestException naming file, document, object and field for every bad document
     */
    public static Result read(String text, String file) {
        ManifestReader reader = new ManifestReader(file);
        List<YamlDocuments.Document> documents;
        try {
            documents = YamlDocuments.read(text, file);
        } catch (YamlDocuments.SyntaxException e) {
            String message = e.getMessage().substring(e.getMessage().indexOf(": not valid YAML") + 2);
            throw new ManifestException(new ManifestException.Problem(new ManifestObject.Source(file, e.document(), 0), "", "", message));
        }
        for (YamlDocuments.Document document : documents) {
            ManifestObject.Source source = new ManifestObject.Source(file, document.number(), document.line());
            reader.document(YamlField.root(document.root(), Problems.throwing()), source);
        }
        if (!reader.problems.isEmpty()) {
            throw new ManifestException(reader.problems);
        }
        return new Result(reader.objects, reader.warnings);
    }

    private void document(YamlField root, ManifestObject.Source source) {
        if (!root.isMapping()) {
            problems.add(new ManifestException.Problem(source, "", "", "must be a mapping (a Kubernetes object with apiVersion and kind)"));
            return;
        }
        String kind = root.get("kind").isString() ? root.get("kind").node().stringValue() : "";
        if (kind.endsWith("List") && root.get("items").present()) {
            List<YamlField> items;
            try {
                root.mapping("apiVersion", "kind", "metadata", "items");
                items = root.get("items").list();
            } catch (Problems.FieldException e) {
                problems.add(new ManifestException.Problem(source, kind, e.path(), e.getMessage()));
                return;
            }
            items.forEach(item -> object(item, new ManifestObject.Source(source.file(), source.document(), source.line(), item.path())));
            return;
        }
        object(root, source);
    }

    private void object(YamlField root, ManifestObject.Source source) {
        String label = "";
        try {
            if (!root.isMapping()) {
                root.error("must be a mapping (a Kubernetes object with apiVersion and kind)");
            }
            String kindText = root.get("kind").requiredString();
            String apiVersion = root.get("apiVersion").requiredString();
            ManifestKind kind = ManifestKind.of(kindText);
            label = kindText + " " + describeName(root, kind == null || kind.namespaced());
            if (kind == null) {
                warnings.add(source + ": skipped " + label + " (" + apiVersion
                        + "): Gingham does not use this kind");
                return;
            }
            if (!kind.apiVersion().equals(apiVersion)) {
                root.get("apiVersion").error("expected " + kind.apiVersion() + " for " + kind.kind() + ", got '" + apiVersion + "'");
            }
            ObjectFields.Meta meta = ObjectFields.metadata(root, kind);
            ManifestObject.Ref ref = new ManifestObject.Ref(kind, meta.namespace(), meta.name());
            label = ref.toString();
            Object object = switch (kind) {
                case NAMESPACE -> PodYaml.namespace(root, meta);
                case POD -> PodYaml.pod(root, meta);
                case NODE -> NodeYaml.node(root, meta);
                case SERVICE -> ServiceYaml.service(root, meta);
                case ENDPOINT_SLICE -> ServiceYaml.endpointSlice(root, meta);
                case NETWORK_POLICY -> NetworkPolicyYaml.read(root, meta);
                case CILIUM_EGRESS_GATEWAY_POLICY -> EgressGatewayPolicyYaml.policy(root, meta);
            };
            if (object == null) {
                warnings.add(source + ": skipped " + ref + ": a hostNetwork pod uses the node's own network, not a Gingham interface");
                return;
            }
            objects.add(new ManifestObject(ref, source, object));
        } catch (Problems.FieldException e) {
            problems.add(new ManifestException.Problem(source, label, e.path(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            // a record's own check (they guard against programming errors; reaching one is still the document's fault)
            problems.add(new ManifestException.Problem(source, label, "", e.getMessage()));
        }
    }

    /** Returns: "namespace/name" as written (before it is validated), so even a bad name can be found. */
    private static String describeName(YamlField root, boolean namespaced) {
        YamlField metadata = root.get("metadata");
        String name = metadata.get("name").isString() ? metadata.get("name").node().stringValue() : "(no name)";
        if (!namespaced) {
            return name;
        }
        YamlField namespace = metadata.get("namespace");
        return (namespace.isString() ? namespace.node().stringValue() : ObjectFields.DEFAULT_NAMESPACE) + "/" + name;
    }
}
