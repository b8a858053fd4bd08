/** The custom transport example passes hearsay's transport contract (the suite lives in the example). */
import '../../examples/counting-transport.contract.js';
