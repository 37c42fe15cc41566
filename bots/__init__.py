"""Channel adapters: each turns a verified platform request into an `Inbound` and renders `Reply`s."""
