package io.kddm.api.transport;

/** There is no open connection to the node, or it was lost before a reply. */
public class NodeUnreachableException extends TransportException {
    private static final long serialVersionUID = 1L;
    private final int node;

    public NodeUnreachableException(int node, String reason) {
        super("node " + node + " unreachable: " + reason);
        this.node = node;
    }

    public int node() {
        return node;
    }
}
