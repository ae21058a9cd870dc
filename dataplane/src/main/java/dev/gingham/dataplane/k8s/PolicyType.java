package dev.gingham.dataplane.k8s;

/** The two directions a NetworkPolicy may isolate, with the API's spelling. */
public enum PolicyType {
    INGRESS("Ingress"), EGRESS("Egress");

    private final String spelling;

    PolicyType(String spelling) {
        this.spelling = spelling;
    }

    public String spelling() {
        return spelling;
    }

    /** @throws IllegalArgumentException for anything but "Ingress" or "Egress" */
    public static PolicyType parse(String text) {
        return Spellings.parse(values(), PolicyType::spelling, text, "Ingress or Egress");
    }
}
