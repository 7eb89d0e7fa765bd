"""E-commerce demo: an order aggregate as a state machine, a fulfilment saga with compensation
(payment, inventory, confirmation; a refund when the stock is short) and a payment deadline
that cancels unpaid orders."""
