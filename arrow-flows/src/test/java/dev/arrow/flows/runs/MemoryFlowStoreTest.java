package dev.arrow.flows.runs;

class MemoryFlowStoreTest extends FlowStoreContract {

    @Override
    protected FlowStore newStore() {
        return new MemoryFlowStore();
    }
}
