package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.YamlField;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parts every manifest reader shares: object metadata, label selectors, ports, protocols,
 * addresses, and the API server's name rules, each reported at its field path.
 */
final class ObjectFields {
    static final String DEFAULT_NAMESPACE = "default";
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    /** IANA_SVC_NAME: at most 15 lowercase letters, digits and '-', a letter somewhere, no '--', no '-' at either end. */
    private static final Pattern SERVICE_PORT_NAME = Pattern.compile("(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?");

    private ObjectFields() {
    }

    /**
     * The metadata Gingham reads (name, namespace, labels, annotations); every other metadata
     * field (uid, resourceVersion, managedFields...) is ignored, so objects saved with
     * {@code kubectl get -o yaml} read as they are.
     */
    record Meta(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    }

    static Meta metadata(YamlField root, ManifestKind kind) {
        YamlField metadata = root.get("metadata").anyMapping();
        if (!metadata.present()) {
            metadata.error("is required");
        }
        YamlField nameField = metadata.get("name");
        if (!nameField.present() && metadata.get("generateName").present()) {
            nameField.error("is required (generateName is not supported: objects need stable names across reloads)");
        }
        String name = nameField.requiredString();
        Pattern rule = kind == ManifestKind.SERVICE ? DNS_1035_LABEL : kind == ManifestKind.NAMESPACE ? DNS_LABEL : DNS_SUBDOMAIN;
        if (name != null && !rule.matcher(name).matches()) {
            nameField.error("'" + name + "' is not a " + (rule == DNS_1035_LABEL
                    ? "DNS-1035 label (lowercase letters, digits and '-', starting with a letter)"
                    : rule == DNS_LABEL ? "DNS label (lowercase letters, digits and '-')" : "DNS subdomain (lowercase letters, digits, '-', '.')"));
        }
        String namespace = "";
        if (kind.namespaced()) {
            YamlField namespaceField = metadata.get("namespace");
            namespace = namespaceField.string(DEFAULT_NAMESPACE);
            if (!DNS_LABEL.matcher(namespace).matches()) {
                namespaceField.error("'" + namespace + "' is not a DNS label (lowercase letters, digits and '-')");
            }
        }
        return new Meta(name, namespace, metadata.get("labels").stringMap(), metadata.get("annotations").stringMap());
    }

    /** A metav1.LabelSelector; absent is the empty selector (everything). */
    static LabelSelector selector(YamlField field) {
        if (!field.present()) {
            return LabelSelector.ALL;
        }
        field.mapping("matchLabels", "matchExpressions");
        List<LabelSelectorRequirement> expressions = new ArrayList<>();
        for (YamlField item : field.get("matchExpressions").list()) {
            item.mapping("key", "operator", "values");
            String key = item.get("key").requiredString();
            YamlField operatorField = item.get("operator");
            if (!operatorField.present()) {
                operatorField.error("is required (In, NotIn, Exists or DoesNotExist)");
            }
            LabelSelectorRequirement.Operator operator = operatorField.parsed(LabelSelectorRequirement.Operator::parse, null);
            List<String> values = new ArrayList<>();
            for (YamlField value : item.get("values").list()) {
                values.add(value.requiredString());
            }
            try {
                expressions.add(new LabelSelectorRequirement(key, operator, values));
            } catch (IllegalArgumentException e) {
                item.get("values").error(e.getMessage());
            }
        }
        return new LabelSelector(field.get("matchLabels").stringMap(), expressions);
    }

    /** A port number 1..65535; absent is reported when {@code required}, else 0. */
    static int port(YamlField field, boolean required) {
        if (!field.present()) {
            if (required) {
                field.error("is required");
            }
            return 0;
        }
        return field.integer(0, 1, 65535);
    }

    /** TCP, UDP or SCTP; TCP when absent (the API's default). */
    static Protocol protocol(YamlField field) {
        return field.parsed(Protocol::parse, Protocol.TCP);
    }

    static IpAddress address(YamlField field) {
        if (!field.present()) {
            field.error("is required");
            return null;
        }
        return field.parsed(IpAddress::parse, null);
    }

    /** A CIDR with its host bits clear (a host-bits slip is named with the intended prefix). */
    static Cidr cidr(YamlField field) {
        Cidr cidr = field.parsed(Cidr::parse, null);
        if (cidr != null && !cidr.masked().equals(cidr)) {
            field.error(cidr + " has host bits set (did you mean " + cidr.masked() + "?)");
        }
        return cidr;
    }

    /** A DNS label (service and EndpointSlice port names), or "" when absent. */
    static String dnsLabel(YamlField field) {
        String name = field.string("");
        if (!name.isEmpty() && !DNS_LABEL.matcher(name).matches()) {
            field.error("'" + name + "' is not a DNS label (lowercase letters, digits and '-')");
        }
        return name;
    }

    /** A container port name or a named targetPort (IANA_SVC_NAME), or "" when absent. */
    static String portName(YamlField field) {
        String name = field.string("");
        if (!name.isEmpty() && !SERVICE_PORT_NAME.matcher(name).matches()) {
            field.error("'" + name + "' is not a valid port name (at most 15 lowercase letters, digits and '-', with a letter)");
        }
        return name;
    }
}
