//! Simulated Entra ID, SAP IAS, XSUAA and a BTP API.
