"""`chinwag desktop`: the Tkinter client (Tk widgets only; the network is in
`chinwag.client`, run in a worker thread). Importing this package does not import Tk."""
