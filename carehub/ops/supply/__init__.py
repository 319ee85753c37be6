"""Drug and supply reorder advice: ledger, consumption, SBC classes, safety stock, reorder list."""
