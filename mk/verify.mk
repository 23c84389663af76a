# make verify: model-check the IPI protocol with spin: ipi_unregister
# against IPIs in flight, the backends' sleep/wake handshake, the mailbox
# store-buffering window (models/README.md; scripts/verify.sh does it).

.PHONY: verify
verify: ## model-check the protocol with spin (models/README.md)
	@sh scripts/deps.sh spin gcc
	@sh scripts/verify.sh
